#!/usr/bin/env python3
"""The symbols Pd exports, taken from its headers' EXTERN declarations.

The cross-built binaries cannot be loaded here, so they are checked against
this list instead (scripts/check_symbols.py), and the Windows import library is
made from it (a .def for dlltool). Headers: m_pd.h, m_imp.h, g_canvas.h and
s_stuff.h from PD_INCLUDE_DIR (default /usr/include/pd).

  pd_exports.py list              name and kind (func/data), one a line
  pd_exports.py def DLLNAME       a module-definition file for DLLNAME (pd.dll, pd64.dll)
"""
import os
import re
import sys

HEADERS = ["m_pd.h", "m_imp.h", "g_canvas.h", "s_stuff.h"]


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def exports(include_dir):
    found = {}
    for header in HEADERS:
        path = os.path.join(include_dir, header)
        if not os.path.exists(path):
            continue
        text = strip_comments(open(path, encoding="latin-1").read())
        # Each EXTERN declaration runs to its semicolon (possibly over several lines).
        for match in re.finditer(r"(?m)^\s*EXTERN\s+(?!struct\b)([^;{}#]*);", text):
            decl = " ".join(match.group(1).split())
            if "(" in decl:
                # A function: the identifier right before the first "(", unless that
                # "(" opens a function pointer declarator "(*name)(...)".
                pointer = re.match(r"[^(]*\(\s*\*\s*(\w+)\s*\)\s*\(", decl)
                if pointer:
                    found.setdefault(pointer.group(1), "data")
                    continue
                name = re.search(r"(\w+)\s*\($", decl[: decl.index("(") + 1])
                if name:
                    found.setdefault(name.group(1), "func")
            else:
                # Data, possibly several names: "t_symbol s_pointer, s_float"
                for part in decl.split(","):
                    name = re.search(r"(\w+)\s*(\[[^\]]*\])?\s*$", part.strip())
                    if name:
                        found.setdefault(name.group(1), "data")
    return found


def main():
    include_dir = os.environ.get("PD_INCLUDE_DIR", "/usr/include/pd")
    symbols = exports(include_dir)
    if len(symbols) < 200 or "class_new" not in symbols or "s_signal" not in symbols:
        sys.exit(f"pd_exports: only {len(symbols)} symbols found in {include_dir}: are Pd's headers there?")
    command = sys.argv[1] if len(sys.argv) > 1 else "list"
    if command == "list":
        for name in sorted(symbols):
            print(name, symbols[name])
    elif command == "def":
        print(f"LIBRARY {sys.argv[2]}")
        print("EXPORTS")
        for name in sorted(symbols):
            print(f"    {name}" + (" DATA" if symbols[name] == "data" else ""))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
