SELECT value FROM latest WHERE id
