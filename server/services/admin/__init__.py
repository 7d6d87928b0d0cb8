"""Use cases of administration, one module per thing an administrator sets up: sites,
services (and their target minutes), counters, staff accounts; what they share is in
common.py, and the audit log and ticket history they read in history.py. Devices and
integration API tokens have their own modules (server/services/devices.py, api_tokens.py),
used beyond the admin screens. A centre is set up and run by its own staff, never by
editing the database.

Each use case is one transaction: it checks the actor (an active admin, or the command
line; a manager may only set the target minutes of the services of their sites), validates
the whole input with bilingual errors, writes the row, an audit entry with every changed
field as (old, new), never a password, and a site-wide `config_changed` change, so every
screen of the site fetches a fresh snapshot: the kiosk's buttons, the board, the clerks'
screens, the hall.
"""
