-- Staff accounts of the admin dashboard (docs/ADMIN.md). A staff user belongs to one program and signs in
-- with an email that is unique across the install, so the login form needs no program.
-- role: 'owner' (keys, webhooks, users, settings and everything staff do) or 'staff' (customers, POS, orders).
-- password_hash: ASP.NET Core Identity's PBKDF2 hash, never the password.
-- security_stamp: changes with the password; a session cookie that carries an older stamp is refused.
CREATE TABLE staff_users (
    id                    TEXT    NOT NULL PRIMARY KEY,
    program_id            TEXT    NOT NULL,
    email                 TEXT    NOT NULL,
    role                  TEXT    NOT NULL,
    password_hash         TEXT    NOT NULL,
    security_stamp        TEXT    NOT NULL,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    disabled_at           INTEGER NULL
);
CREATE UNIQUE INDEX ux_staff_users_email ON staff_users (email);
CREATE INDEX ix_staff_users_program ON staff_users (program_id, id);
