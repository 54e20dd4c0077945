"""The top: the dashboard, the audit log page, the demo school (`seed_demo`), `runportal`, the
operator's commands (`network_post`, `create_school`, `face_detectors`) and every benchmark
(`bench/`, `manage.py bench`).

May use every app; no app uses it.
"""
