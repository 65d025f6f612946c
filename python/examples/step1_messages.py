#!/usr/bin/env python3
"""Step 1: plain OSC messages from Python to Pd (patches/steps/1-messages.pd):
/hello to [netreceive -u -b 9000]→[oscparse] and to mrpeach [udpreceive 9001]."""

import time

from pythonosc.udp_client import SimpleUDPClient

for port in (9000, 9001):
    client = SimpleUDPClient("127.0.0.1", port)
    for i in range(3):
        client.send_message("/hello", ["world", i])
        time.sleep(0.1)
print("sent 3 × /hello world i to ports 9000 and 9001: see Pd's console")
