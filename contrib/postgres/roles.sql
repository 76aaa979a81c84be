-- portwatch's fleet store: the roles of least privilege (README: "A fleet in PostgreSQL").
--
-- Run once as the database's owner, after the tables exist (`portwatch fleet init --store URL`, or the
-- first watcher started with the owner's role), in the fleet's database:
--   psql -d portwatch -f contrib/postgres/roles.sql
-- It is safe to run again. It makes two roles that cannot log in, whose members can:
--   portwatch_writer  write looks, but only its own host's rows: row-level security compares each row's
--                     host_id with the host that fleet_host_roles maps the connected role (current_user)
--                     to. Only the owner can change that mapping, so a host cannot claim another's id.
--   portwatch_reader  read every host's rows (portwatch fleet hosts|find|changes, the dashboard).
--
-- Then one login role per host, mapped to that host's id (its /etc/machine-id, or its --host-id):
--   CREATE ROLE pw_web1 LOGIN IN ROLE portwatch_writer;
--   \password pw_web1
--   INSERT INTO fleet_host_roles (role, host_id) VALUES ('pw_web1', '<machine-id of web1>');
-- and one for the people and dashboards that read:
--   CREATE ROLE pw_dashboard LOGIN IN ROLE portwatch_reader;
--   \password pw_dashboard
-- The watchers connect with --store postgres://pw_web1@db.example.org/portwatch?sslmode=verify-full&sslrootcert=/etc/portwatch/db-ca.pem
-- and the password in a file (--store-password-file, mode 600) or PGPASSFILE; never in the URL.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'portwatch_writer') THEN CREATE ROLE portwatch_writer NOLOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'portwatch_reader') THEN CREATE ROLE portwatch_reader NOLOGIN; END IF;
END $$;

-- Writers: the schema version (to know the tables are there), the mapping (read by the policies), and
-- their own rows. DELETE only for the retention (rows of their own host older than 30 days).
GRANT USAGE ON SCHEMA public TO portwatch_writer, portwatch_reader;
GRANT SELECT ON schema_migrations, fleet_host_roles TO portwatch_writer, portwatch_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON fleet_hosts, fleet_looks, fleet_identities, fleet_events TO portwatch_writer;
GRANT SELECT ON fleet_hosts, fleet_looks, fleet_identities, fleet_events TO portwatch_reader;
-- Nobody but the owner changes the mapping or the schema.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON fleet_host_roles, schema_migrations FROM PUBLIC, portwatch_writer, portwatch_reader;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
