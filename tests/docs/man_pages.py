"""The man pages agree with the program and the example configuration.

- every command and option that `otpgate --help` and `otpgate COMMAND --help`
  print, the --qr styles and the exit statuses are in otpgate(1);
- every key of conf/otpgate.conf (the `#key = default` lines) has an entry
  in otpgate.conf(5), and every entry there is such a key;
- pam_otpgate(8) describes the module arguments;
- otpgate-verify(8) names every request of the helper's usage and every
  exit status it has (read from verify_helper/'s source);
- each page renders without a warning under groff -ww and under man-db the
  way lintian runs it, and names the version that `otpgate --version` prints;
- the bash completion offers every command, option and --qr style;
- every example configuration (conf/*.conf) is read by otpgate without an
  error or a warning.

Usage: man_pages.py --otpgate BINARY --man-dir DIR --conf otpgate.conf
                    [--completion FILE] [--examples DIR] [--helper-source DIR]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

PAGES = ("otpgate.1", "otpgate.conf.5", "pam_otpgate.8", "otpgate-verify.8")


def run(command, **kwargs):
    env = dict(os.environ, LC_ALL="C.UTF-8", MANROFFSEQ="", MANWIDTH="80")
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False,
                          **kwargs)


def rendered_text(page):
    """The page as plain ASCII text, whitespace collapsed, so that phrases
    can be looked for whatever the line breaks."""
    result = run(["groff", "-man", "-Tascii", "-P-c", "-P-b", "-P-u", page])
    if result.returncode != 0:
        raise SystemExit("groff failed on %s: %s" % (page, result.stderr))
    return " ".join(result.stdout.split())


def has_word(text, word):
    return re.search(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])", text) is not None


# --- what otpgate --help prints --------------------------------------------

def help_sections(text):
    """{'Options': [lines], 'Subcommands': [...], 'Positionals': [...]}"""
    sections, current = {}, None
    for line in text.splitlines():
        header = re.match(r"^(Options|Subcommands|Positionals|Exit status):$", line)
        if header:
            current = header.group(1)
            sections[current] = []
        elif not line.strip():
            current = None
        elif current and re.match(r"^  \S", line):
            sections[current].append(line.strip())
    return sections


def walk_help(otpgate, path=()):
    """Yields (command path, help text) for otpgate and every subcommand."""
    result = run([otpgate, *path, "--help"])
    if result.returncode != 0 or "Usage:" not in result.stdout:
        raise SystemExit("%s --help failed (%d): %s"
                         % (" ".join(["otpgate", *path]), result.returncode, result.stderr))
    yield path, result.stdout
    for line in help_sections(result.stdout).get("Subcommands", []):
        yield from walk_help(otpgate, path + (line.split()[0],))


def documented_things(otpgate):
    """(what, phrase) pairs that otpgate(1) must contain."""
    wanted = []
    for path, text in walk_help(otpgate):
        where = " ".join(["otpgate", *path])
        if path:
            wanted.append(("command '%s'" % " ".join(path), " ".join(path)))
        sections = help_sections(text)
        for line in sections.get("Options", []):
            spec = line.split()[0]  # "-h,--help" or "--qr" in "--qr STYLE:{...}=auto"
            for name in spec.split(","):
                name = name.split(":")[0].split("=")[0]
                wanted.append(("option %s of %s" % (name, where), name))
            choices = re.search(r":\{([^}]*)\}", line)
            if choices:
                for choice in choices.group(1).split(","):
                    wanted.append(("value '%s' of %s" % (choice, spec), choice))
        for line in sections.get("Positionals", []):
            name = line.split()[0]
            wanted.append(("argument %s of %s" % (name, where), name.lower()))
    return wanted


def exit_statuses(otpgate):
    text = run([otpgate, "--help"]).stdout
    return [line.split()[0] for line in help_sections(text).get("Exit status", [])
            if re.match(r"^\d+\s", line)]


# --- the set-uid helper, from its source -----------------------------------

def helper_requests(source_dir):
    """The first word after `otpgate-verify` on each line of its usage."""
    with open(os.path.join(source_dir, "verify_request.cpp"), encoding="utf-8") as f:
        text = f.read()
    return re.findall(r'^\s*(?:return )?"(?:usage: |\s+)otpgate-verify ([a-z-]+)', text, re.M)


def helper_exit_statuses(source_dir):
    with open(os.path.join(source_dir, "helper_exit.hpp"), encoding="utf-8") as f:
        return re.findall(r"^\s+[a-z_]+ = (\d+),", f.read(), re.M)


# --- the configuration keys ------------------------------------------------

def conf_keys(conf_path):
    with open(conf_path, encoding="utf-8") as f:
        return [m.group(1) for m in re.finditer(r"^#([a-z][a-z0-9_]*) ?=", f.read(), re.M)]


def tagged_entries(page):
    """First words of the tags of .TP/.TQ entries in the roff source."""
    entries = []
    with open(page, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for previous, line in zip(lines, lines[1:]):
        if previous.strip() in (".TP", ".TQ"):
            words = re.sub(r"^\.[A-Z]+\s+", "", line).split()
            if words:
                entries.append(words[0].strip('"'))
    return entries


# --- the checks ------------------------------------------------------------

def check_rendering(page, problems):
    name = os.path.basename(page)
    groff = run(["groff", "-man", "-Tutf8", "-ww", "-z", page])
    if groff.returncode != 0 or groff.stderr.strip():
        problems.append("%s: groff -man -ww warns:\n%s" % (name, groff.stderr))
    # As lintian does it (man-db's preconv and tbl included).
    man = run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", page])
    if man.returncode != 0 or man.stderr.strip():
        problems.append("%s: man --warnings -l warns:\n%s" % (name, man.stderr))


def check_version(page, version, problems):
    with open(page, encoding="utf-8") as f:
        th = next((line for line in f if line.startswith(".TH ")), "")
    if ('"%s"' % version) not in th:
        problems.append("%s: .TH line should name \"%s\" (otpgate --version): %s"
                        % (os.path.basename(page), version, th.strip()))


def check_exit_statuses(page_text, name, statuses, source, problems):
    """Each status in the page's EXIT STATUS section; returns how many were
    looked for."""
    exit_section = re.search(r"EXIT STATUS(.*?)FILES", page_text)
    for status in statuses:
        if not exit_section or not has_word(exit_section.group(1), status):
            problems.append("%s EXIT STATUS lacks %s (%s)" % (name, status, source))
    return len(statuses)


def check_completion(path, wanted, problems):
    """Returns how many words were looked for."""
    with open(path, encoding="utf-8") as f:
        script = f.read()
    words = {}
    for what, phrase in wanted:
        if not what.startswith("argument"):
            words.setdefault(phrase.split()[-1], what)  # "enroll totp" -> "totp"
    words.pop("-h", None)  # --help is offered
    for word, what in sorted(words.items()):
        if not has_word(script, word):
            problems.append("the bash completion does not offer %s ('%s')" % (what, word))
    return len(words)


def check_example(otpgate, example, problems):
    """Loads the example as the configuration of a command that reads it
    and changes nothing (`status`): exit status 5 or any warning fails."""
    with tempfile.TemporaryDirectory() as folder:
        copy = os.path.join(folder, "otpgate.conf")
        shutil.copyfile(example, copy)
        os.chmod(copy, 0o644)  # the loader refuses files others may write
        result = run([otpgate, "--config", copy, "status"])
    complaints = [line for line in result.stderr.splitlines()
                  if "otpgate.conf" in line or "config" in line]
    if result.returncode in (2, 5, 70) or complaints:
        problems.append("example %s is not read cleanly (exit %d):\n%s"
                        % (os.path.basename(example), result.returncode, result.stderr))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--otpgate", required=True)
    parser.add_argument("--man-dir", required=True)
    parser.add_argument("--conf", required=True)
    parser.add_argument("--completion")
    parser.add_argument("--examples")
    parser.add_argument("--helper-source")
    args = parser.parse_args()
    pages = {name: os.path.join(args.man_dir, name) for name in PAGES}
    problems = []
    checked = 0

    for page in pages.values():
        if not os.path.isfile(page):
            raise SystemExit("missing man page %s" % page)
        check_rendering(page, problems)
        checked += 1

    version = run([args.otpgate, "--version"]).stdout.strip()
    if not version.startswith("otpgate "):
        raise SystemExit("otpgate --version printed %r" % version)
    for page in pages.values():
        check_version(page, version, problems)

    cli_page = rendered_text(pages["otpgate.1"])
    wanted = documented_things(args.otpgate)
    if args.completion:
        checked += check_completion(args.completion, wanted, problems)
    if args.examples:
        for name in sorted(os.listdir(args.examples)):
            if name.endswith(".conf"):
                checked += 1
                check_example(args.otpgate, os.path.join(args.examples, name), problems)
    for what, phrase in wanted:
        checked += 1
        if not has_word(cli_page, phrase):
            problems.append("otpgate.1 does not mention %s ('%s' is in --help)" % (what, phrase))
    checked += check_exit_statuses(cli_page, "otpgate.1", exit_statuses(args.otpgate),
                                   "printed by otpgate --help", problems)

    keys = conf_keys(args.conf)
    if len(keys) < 10:
        raise SystemExit("found only %d keys in %s: has its format changed?" % (len(keys), args.conf))
    entries = tagged_entries(pages["otpgate.conf.5"])
    for key in keys:
        checked += 1
        if key not in entries:
            problems.append("otpgate.conf.5 has no entry (.TP) for key '%s' of %s"
                            % (key, os.path.basename(args.conf)))
    for entry in entries:
        checked += 1
        if re.fullmatch(r"[a-z][a-z0-9_]*", entry) and entry not in keys:
            problems.append("otpgate.conf.5 describes '%s', which %s does not list"
                            % (entry, os.path.basename(args.conf)))

    module_page = rendered_text(pages["pam_otpgate.8"])
    for argument in ("debug", "nullok", "config=", "key=value"):
        checked += 1
        if argument not in module_page:
            problems.append("pam_otpgate.8 does not describe the module argument '%s'" % argument)

    if args.helper_source:
        helper_page = rendered_text(pages["otpgate-verify.8"])
        requests = helper_requests(args.helper_source)
        statuses = helper_exit_statuses(args.helper_source)
        if len(requests) < 5 or len(statuses) < 5:
            raise SystemExit("found only %d requests and %d exit statuses in %s: has the "
                             "format changed?" % (len(requests), len(statuses), args.helper_source))
        for request in requests:
            checked += 1
            if not has_word(helper_page, "otpgate-verify " + request):
                problems.append("otpgate-verify.8 does not show the request '%s' of its usage"
                                % request)
        checked += check_exit_statuses(helper_page, "otpgate-verify.8", statuses,
                                       "helper_exit.hpp", problems)

    for problem in problems:
        print("FAIL: " + problem)
    print("%d passed, %d failed" % (checked - len(problems), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
