"""gunicorn's settings for the Procfile's `web` process (`--config python:cips.gunicorn_conf`).

Logging: gunicorn's own records and the app's go to stderr in the format of the other
processes (`CIPS_LOG_FORMAT`, role "web"). The access log stays off: the reverse proxy keeps one,
and health probes would flood it. Should an operator turn it on (`--access-logfile -`), its
format records no client address, user agent or Referer: respondents of the web survey
(`/s/...`) must not be traceable from a log. Everything else (workers, bind address) is on the
command line.
"""

from cips.logs import dict_config

logconfig_dict = dict_config(role="web")

# gunicorn 24+ opens a control socket in ~/.gunicorn for `gunicornc`; two web processes on one
# host would share it, and the Procfile's process never needs it.
control_socket_disable = True

# Request line, status, size and duration only: no %(h)s (address), %(a)s (user agent),
# %(f)s (Referer), %({x-forwarded-for}i)s or %(u)s.
access_log_format = '"%(r)s" %(s)s %(b)s %(M)sms'
