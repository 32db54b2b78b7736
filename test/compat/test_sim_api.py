"""The course's simulator API test, written with `requests`, run unchanged (only BASE_URL comes
from the environment) against a running MiniTwit's API port."""
import base64
import json
import os

import requests

BASE_URL = os.environ.get("API_URL", "http://127.0.0.1:5001")
USERNAME = "simulator"
PWD = "super_safe!"
CREDENTIALS = ":".join([USERNAME, PWD]).encode("ascii")
ENCODED_CREDENTIALS = base64.b64encode(CREDENTIALS).decode()
HEADERS = {
    "Connection": "close",
    "Content-Type": "application/json",
    "Authorization": f"Basic {ENCODED_CREDENTIALS}",
}


def test_latest():
    # post something to update LATEST
    url = f"{BASE_URL}/register"
    data = {"username": "test", "email": "test@test", "pwd": "foo"}
    params = {"latest": 1337}
    response = requests.post(url, data=json.dumps(data), params=params, headers=HEADERS)
    assert response.ok

    # verify that latest was updated
    url = f"{BASE_URL}/latest"
    response = requests.get(url, headers=HEADERS)
    assert response.ok
    assert response.json()["latest"] == 1337


def test_register():
    username = "a"
    email = "a@a.a"
    pwd = "a"
    data = {"username": username, "email": email, "pwd": pwd}
    params = {"latest": 1}
    response = requests.post(f"{BASE_URL}/register", data=json.dumps(data), headers=HEADERS, params=params)
    assert response.ok

    # verify that latest was updated
    response = requests.get(f"{BASE_URL}/latest", headers=HEADERS)
    assert response.json()["latest"] == 1


def test_create_msg():
    username = "a"
    data = {"content": "Blub!"}
    url = f"{BASE_URL}/msgs/{username}"
    params = {"latest": 2}
    response = requests.post(url, data=json.dumps(data), headers=HEADERS, params=params)
    assert response.ok

    response = requests.get(f"{BASE_URL}/latest", headers=HEADERS)
    assert response.json()["latest"] == 2


def test_get_latest_user_msgs():
    username = "a"
    query = {"no": 20, "latest": 3}
    url = f"{BASE_URL}/msgs/{username}"
    response = requests.get(url, headers=HEADERS, params=query)
    assert response.status_code == 200

    got_it_earlier = False
    for msg in response.json():
        if msg["content"] == "Blub!" and msg["user"] == username:
            got_it_earlier = True
    assert got_it_earlier

    response = requests.get(f"{BASE_URL}/latest", headers=HEADERS)
    assert response.json()["latest"] == 3


def test_get_latest_msgs():
    username = "a"
    query = {"no": 20, "latest": 4}
    url = f"{BASE_URL}/msgs"
    response = requests.get(url, headers=HEADERS, params=query)
    assert response.status_code == 200

    got_it_earlier = False
    for msg in response.json():
        if msg["content"] == "Blub!" and msg["user"] == username:
            got_it_earlier = True
    assert got_it_earlier

    response = requests.get(f"{BASE_URL}/latest", headers=HEADERS)
    assert response.json()["latest"] == 4


def test_register_b():
    data = {"username": "b", "email": "b@b.b", "pwd": "b"}
    params = {"latest": 5}
    response = requests.post(f"{BASE_URL}/register", data=json.dumps(data), headers=HEADERS, params=params)
    assert response.ok

    response = requests.get(f"{BASE_URL}/latest", headers=HEADERS)
    assert response.json()["latest"] == 5


def test_register_c():
    data = {"username": "c", "email": "c@c.c", "pwd": "c"}
    params = {"latest": 6}
    response = requests.post(f"{BASE_URL}/register", data=json.dumps(data), headers=HEADERS, params=params)
    assert response.ok

    response = requests.get(f"{BASE_URL}/latest", headers=HEADERS)
    assert response.json()["latest"] == 6


def test_follow_user():
    username = "a"
    url = f"{BASE_URL}/fllws/{username}"
    data = {"follow": "b"}
    params = {"latest": 7}
    response = requests.post(url, data=json.dumps(data), headers=HEADERS, params=params)
    assert response.ok

    data = {"follow": "c"}
    params = {"latest": 8}
    response = requests.post(url, data=json.dumps(data), headers=HEADERS, params=params)
    assert response.ok

    query = {"no": 20, "latest": 9}
    response = requests.get(url, headers=HEADERS, params=query)
    assert response.ok

    json_data = response.json()
    assert "b" in json_data["follows"]
    assert "c" in json_data["follows"]

    response = requests.get(f"{BASE_URL}/latest", headers=HEADERS)
    assert response.json()["latest"] == 9


def test_a_unfollows_b():
    username = "a"
    url = f"{BASE_URL}/fllws/{username}"

    data = {"unfollow": "b"}
    params = {"latest": 10}
    response = requests.post(url, data=json.dumps(data), headers=HEADERS, params=params)
    assert response.ok

    query = {"no": 20, "latest": 11}
    response = requests.get(url, headers=HEADERS, params=query)
    assert response.ok
    assert "b" not in response.json()["follows"]

    response = requests.get(f"{BASE_URL}/latest", headers=HEADERS)
    assert response.json()["latest"] == 11
