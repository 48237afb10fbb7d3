#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
The binary's answer to bad profiles: one line, FILE:LINE, exit code 2.

Input: the fixtures' standard profile, and four bad variants: a path
that does not exist; an unknown key in [dataplane]; a bad value
(`workers = many`); a second [dataplane] section.
State: each bad one is run as the dataplane would be started (EAL
arguments after `--`, inside a namespace of the test's own, so a
profile wrongly accepted cannot touch the host) and with --check; the
valid one with --check.
Checks: exit code 2 and exactly one line on stderr, "edge-dataplane:
FILE:LINE: problem", with the line of the offending text (the missing
file: FILE only, there is no line) and naming the offending key; the
valid profile passes --check with exit code 0.
"""
import os
import re
import subprocess

import eptest


def run(args, netns=None, timeout=20):
    cmd = (["ip", "netns", "exec", netns] if netns else []) + args
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None, "", f"still running after {timeout}s (the profile was accepted)"
    return r.returncode, r.stdout, r.stderr


def write(path, lines):
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def insert_after(lines, anchor, new):
    """lines with `new` inserted after the first line equal to anchor, and
    the 1-based line number `new` lands on."""
    i = lines.index(anchor) + 1
    return lines[:i] + [new] + lines[i:], i + 1


def body(t):
    exe = eptest.binary()
    r = eptest.Run()
    netns = r.add_netns()
    good = eptest.standard_profile(r.tmp)

    # Input: the four bad profiles, with the line(s) each error must name.
    unknown, unknown_line = insert_after(good, "[dataplane]", "bogus_knob = 1")
    workers_at = good.index("workers = 1")
    bad_value = list(good)
    bad_value[workers_at] = "workers = many"
    duplicate = good + ["[dataplane]", "idle = poll"]
    dup_header = len(duplicate) - 1
    cases = [
        ("missing file", os.path.join(r.tmp, "does-not-exist.ini"), None, None),
        ("unknown key", write(os.path.join(r.tmp, "unknown.ini"), unknown), [unknown_line],
         "bogus_knob"),
        ("bad value", write(os.path.join(r.tmp, "badvalue.ini"), bad_value),
         [workers_at + 1], "workers"),
        ("duplicate section", write(os.path.join(r.tmp, "duplicate.ini"), duplicate),
         [dup_header], "dataplane"),
    ]
    eal = eptest.eal_args(r.run_id)

    # Checks: each bad profile, started for real and with --check.
    for what, path, lines, needle in cases:
        for mode, args in (("start", [exe, "--profile", path, "--"] + eal),
                           ("--check", [exe, "--profile", path, "--check"])):
            rc, _, err = run(args, netns=netns)
            err_lines = err.strip().splitlines()
            label = f"{what} ({mode})"
            t.equal(rc, 2, f"{label}: exit code")
            t.check(len(err_lines) == 1, f"{label}: one line on stderr",
                    f"{len(err_lines)} lines: {err.strip()!r}")
            first = err_lines[0] if err_lines else ""
            if lines is None:
                ok = first.startswith(f"edge-dataplane: {path}:")
                t.check(ok, f"{label}: names {os.path.basename(path)}", repr(first))
                continue
            m = re.match(r"edge-dataplane: (.+?):(\d+): \S", first)
            t.check(m is not None and m.group(1) == path and int(m.group(2)) in lines,
                    f"{label}: names FILE:LINE ({os.path.basename(path)}:"
                    f"{' or '.join(map(str, lines))})", repr(first))
            t.check(needle in first, f"{label}: mentions '{needle}'", repr(first))

    # The valid profile.
    path = write(os.path.join(r.tmp, "good.ini"), good)
    rc, out, err = run([exe, "--profile", path, "--check"])
    t.equal(rc, 0, "valid profile: --check exit code")
    t.check(err.strip() == "", "valid profile: nothing on stderr", repr(err))


if __name__ == "__main__":
    eptest.main(body)
