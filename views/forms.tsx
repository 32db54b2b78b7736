// The sign-in and sign-up forms; typed values come back after an error, passwords never.
import { escapeHtml } from "./escape.ts";
import { Layout } from "./layout.tsx";

// @kitajs/html escapes only `"` in attributes: dynamic attribute values get the Jinja escape first
// (its output holds no `"`, so it passes through unchanged).
function Field({
  label,
  name,
  type = "text",
  value = "",
}: {
  label: string;
  name: string;
  type?: string;
  value?: string;
}) {
  return (
    <>
      <dt>
        <label for={name}>{label}:</label>
      </dt>
      <dd>
        <input type={type} name={name} id={name} size="30" value={escapeHtml(value)} />
      </dd>
    </>
  );
}

function ErrorBox({ error }: { error?: string }) {
  return error ? (
    <div class="error">
      <strong>Error:</strong> {escapeHtml(error)}
    </div>
  ) : (
    ""
  );
}

export function LoginPage({ error, username, flashes }: { error?: string; username?: string; flashes?: string[] }) {
  return (
    <Layout title="Sign In" flashes={flashes}>
      <h2>Sign In</h2>
      <ErrorBox error={error} />
      <form action="/login" method="post">
        <dl>
          <Field label="Username" name="username" value={username} />
          <Field label="Password" name="password" type="password" />
        </dl>
        <div class="actions">
          <input type="submit" value="Sign In" />
        </div>
      </form>
    </Layout>
  );
}

export function RegisterPage({ error, username, email }: { error?: string; username?: string; email?: string }) {
  return (
    <Layout title="Sign Up">
      <h2>Sign Up</h2>
      <ErrorBox error={error} />
      <form action="/register" method="post">
        <dl>
          <Field label="Username" name="username" value={username} />
          <Field label="E-Mail" name="email" type="email" value={email} />
          <Field label="Password" name="password" type="password" />
          <Field label="Password (repeat)" name="password2" type="password" />
        </dl>
        <div class="actions">
          <input type="submit" value="Sign Up" />
        </div>
      </form>
    </Layout>
  );
}

export function ErrorPage({ status, title, detail }: { status: number; title: string; detail: string }) {
  return (
    <Layout title={title}>
      <h2>
        {status} {escapeHtml(title)}
      </h2>
      <p>{escapeHtml(detail)}</p>
      <p>
        <a href="/public">Back to the public timeline</a>
      </p>
    </Layout>
  );
}
