# The Jupyter server's configuration on Binder, installed into ~/.jupyter by
# postBuild: someone trying the link alone finds demo classmates in the
# classroom (they leave once three people are in it, or when an instructor
# starts breakouts or a broadcast).
c = get_config()  # noqa: F821  (defined by the Jupyter config loader)
c.ClassroomApp.demo_participants = 3
