#!/usr/bin/env node
// Runs when `npm ci` could not build the native fast path (no python3, make or g++): portwatch still
// works, reading /proc text instead of the kernel's netlink dump, only slower on busy hosts. Says so.
process.stderr.write(
  "portwatch: the native fast path (native/portwatch.c) was not built, so portwatch will read /proc text instead " +
  "(same results, slower on hosts with many sockets). To build it: install python3, make and g++, then run `npm run install` in the portwatch folder.\n",
);
