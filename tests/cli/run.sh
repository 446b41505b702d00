#!/bin/sh
# placeholder until the golden runner lands
exit 0
