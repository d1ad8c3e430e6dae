# The VMM with its stdout a non-blocking pipe (O_NONBLOCK: set by whoever
# shares the pipe) and a reader that starts late: every byte must arrive.
#   python3 nonblock_stdout.py VMM IMAGE ERRFILE
# prints "STATUS BYTES FIRST_LAST_OK" for tests/host/run.sh to judge.
import fcntl
import os
import subprocess
import sys
import time

vmm, image, errfile = sys.argv[1:4]
r, w = os.pipe()
fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
with open(errfile, "wb") as err:
    p = subprocess.Popen([vmm, "--timeout", "20", image], stdout=w, stderr=err)
os.close(w)
time.sleep(0.5)  # meanwhile the VMM fills the pipe and meets EAGAIN
data = b""
while True:
    chunk = os.read(r, 65536)
    if not chunk:
        break
    data += chunk
print(p.wait(), len(data), data[:6] == b"flood\n" and data[-4:] == b"END\n")
