#!/bin/bash
# Stands in for a service: reports the packages it runs on, then idles until stopped.
trap 'exit 0' TERM INT
echo "deb/app on $(. /etc/os-release && echo "$PRETTY_NAME"), $(dpkg-query -W | wc -l) packages"
while true; do sleep 1 & wait $!; done
