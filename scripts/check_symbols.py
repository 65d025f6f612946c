#!/usr/bin/env python3
"""Checks a built external without loading it (nothing here can load a macOS,
Windows or arm64 binary): it exports the setup function Pd calls, and every
symbol it leaves for Pd to resolve is one Pd exports (the list is taken from
Pd's headers: scripts/pd_exports.py). Whatever else it imports must come from
the system's C library (ELF: versioned glibc symbols, at most --max-glibc;
Mach-O: bound to libSystem; PE: a system DLL).

  check_symbols.py [--max-glibc 2.17] [--pd-dll pd.dll] [--float-size 32|64] FILE...

Prints one line per file; exits 1 if any check fails. Uses llvm-nm/llvm-objdump.
"""
import argparse
import re
import subprocess
import sys
from pathlib import Path

SETUP = "fsync_tilde_setup"
ELF_SYSTEM_LIBS = {"libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1", "libgcc_s.so.1",
                   "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1"}
MACHO_SYSTEM_LIBS = {"libSystem", "libiconv", "libcharset", "libresolv"}
MACHO_SYSTEM_DYLIBS = {"/usr/lib/libSystem.B.dylib", "/usr/lib/libiconv.2.dylib", "/usr/lib/libcharset.1.dylib", "/usr/lib/libresolv.9.dylib"}
PE_SYSTEM_DLLS = {"kernel32.dll", "msvcrt.dll", "ntdll.dll", "userenv.dll", "ws2_32.dll", "bcryptprimitives.dll",
                  "advapi32.dll", "bcrypt.dll", "ucrtbase.dll"}


def tool(name):
    for candidate in (name, f"{name}-14", f"{name}-15", f"{name}-16"):
        if subprocess.run(["sh", "-c", f"command -v {candidate}"], capture_output=True).returncode == 0:
            return candidate
    sys.exit(f"check_symbols: {name} not found (apt-get install llvm)")


def run(*args):
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def pd_exports():
    here = Path(__file__).parent
    out = run(sys.executable, str(here / "pd_exports.py"), "list")
    return {line.split()[0] for line in out.splitlines()}


def file_format(path):
    head = path.read_bytes()[:4]
    if head == b"\x7fELF":
        return "elf"
    if head[:2] == b"MZ":
        return "pe"
    if head in (b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe"):
        return "macho"
    return "unknown"


def check_elf(path, exports, max_glibc):
    nm = tool("llvm-nm")
    problems = []
    defined = run(nm, "-D", "--defined-only", str(path)).split()
    if SETUP not in defined:
        problems.append(f"no exported {SETUP}")
    pd_used, newest = [], (0, 0)
    for line in run(nm, "-D", "--undefined-only", str(path)).splitlines():
        kind, name = line.split()[-2:]
        if "@" in name:
            symbol, version = name.split("@", 1)
            if version.startswith("GCC_"):
                continue  # libgcc_s (the unwinder), part of every gcc-built system
            m = re.match(r"GLIBC_(\d+)\.(\d+)", version)
            if not m:
                problems.append(f"{name}: not a glibc symbol")
                continue
            newest = max(newest, (int(m.group(1)), int(m.group(2))))
        elif kind == "w":
            continue  # weak: may be absent at load (glibc feature probes)
        elif name in exports:
            pd_used.append(name)
        else:
            problems.append(f"{name}: undefined and not exported by Pd")
    if max_glibc and newest > max_glibc:
        problems.append(f"needs glibc {newest[0]}.{newest[1]} > {max_glibc[0]}.{max_glibc[1]}")
    needed = re.findall(r"^\s+(\S+)$", run(tool("llvm-readobj"), "--needed-libs", str(path)).split("NeededLibraries [", 1)[1], re.M)
    problems += [f"needs {lib}" for lib in needed if lib not in ELF_SYSTEM_LIBS]
    return problems, pd_used, f"glibc >= {newest[0]}.{newest[1]}"


def check_macho(path, exports):
    nm = tool("llvm-nm")
    problems, pd_used = [], []
    defined = run(nm, "--defined-only", "--extern-only", str(path)).split()
    if "_" + SETUP not in defined:
        problems.append(f"no exported _{SETUP}")
    # Two-level bound symbols name their library "(from libSystem)"; symbols left
    # to -undefined dynamic_lookup (flat namespace, resolved in Pd at load) name none.
    for line in run(nm, "-m", "--undefined-only", str(path)).splitlines():
        m = re.search(r"external (\S+)(?: \((.*)\))?$", line)
        if not m:
            continue
        name, origin = m.group(1), m.group(2) or ""
        if origin in ("", "dynamically looked up"):
            if name.startswith("_") and name[1:] in exports:
                pd_used.append(name[1:])
            else:
                problems.append(f"{name}: looked up at load and not exported by Pd")
        elif origin.replace("from ", "") not in MACHO_SYSTEM_LIBS:
            problems.append(f"{name}: bound to {origin}")
    headers = run(tool("llvm-objdump"), "--macho", "--private-headers", str(path))
    loads = re.findall(r"cmd LC_LOAD(?:_WEAK)?_DYLIB\n\s+cmdsize \d+\n\s+name (\S+)", headers)
    problems += [f"links {lib}" for lib in loads if lib not in MACHO_SYSTEM_DYLIBS]
    problem, signature = macho_signature(path)
    if problem:
        problems.append(problem)
    if signature == "unsigned" and "arm64" in run(tool("llvm-objdump"), "--macho", "--private-header", str(path)).lower():
        problems.append("arm64 code must be signed (ad-hoc at least) or macOS will not load it")
    return problems, pd_used, f"undefined Pd symbols: dynamic_lookup; {signature}"


def macho_signature(path):
    """Checks the linker's ad-hoc code signature page by page: an arm64 Mac refuses
    to load code whose signature does not match (e.g. after a post-link strip).
    Returns (problem or None, note)."""
    import hashlib
    import struct
    data = path.read_bytes()
    magic, _, _, _, ncmds, _, _, _ = struct.unpack_from("<8I", data, 0)
    if magic != 0xFEEDFACF:
        return "not a 64-bit Mach-O", ""
    at = 32
    for _ in range(ncmds):
        cmd, size = struct.unpack_from("<2I", data, at)
        if cmd == 0x1D:  # LC_CODE_SIGNATURE
            dataoff, _ = struct.unpack_from("<2I", data, at + 8)
            sb_magic, _, count = struct.unpack_from(">3I", data, dataoff)
            if sb_magic != 0xFADE0CC0:
                return "code signature: not a SuperBlob", ""
            for i in range(count):
                slot, offset = struct.unpack_from(">2I", data, dataoff + 12 + 8 * i)
                cd = dataoff + offset
                if slot != 0 or struct.unpack_from(">I", data, cd)[0] != 0xFADE0C02:
                    continue
                (hash_offset, _, _, code_slots, code_limit) = struct.unpack_from(">IIIII", data, cd + 16)
                hash_size, hash_type, _, page_log2 = struct.unpack_from(">4B", data, cd + 36)
                algorithm = {1: "sha1", 2: "sha256"}.get(hash_type)
                if not algorithm:
                    return f"code signature: unknown hash type {hash_type}", ""
                page = 1 << page_log2
                for n in range(code_slots):
                    chunk = data[n * page:min((n + 1) * page, code_limit)]
                    want = data[cd + hash_offset + n * hash_size: cd + hash_offset + (n + 1) * hash_size]
                    if hashlib.new(algorithm, chunk).digest()[:hash_size] != want:
                        return f"code signature does not match page {n} (modified after linking?)", ""
                return None, f"ad-hoc signature valid ({code_slots} pages)"
            return "code signature without a code directory", ""
        at += size
    return None, "unsigned"


def check_pe(path, exports, pd_dll):
    problems, pd_used = [], []
    dump = run(tool("llvm-objdump"), "-p", str(path))
    export_names = re.findall(r"^\s+\d+\s+0x[0-9a-f]+\s+(\S+)$", dump.split("Export Table:", 1)[-1], re.M) if "Export Table:" in dump else []
    if SETUP not in export_names:
        problems.append(f"no exported {SETUP}")
    dll = None
    for line in dump.split("Export Table:", 1)[0].splitlines():
        m = re.match(r"\s*DLL Name: (\S+)", line)
        if m:
            dll = m.group(1).lower()
            if dll != pd_dll.lower() and dll not in PE_SYSTEM_DLLS and not dll.startswith("api-ms-win-"):
                problems.append(f"imports from {m.group(1)}")
            continue
        m = re.match(r"\s+\d+\s+(\S+)$", line)
        if m and dll == pd_dll.lower():
            if m.group(1) in exports:
                pd_used.append(m.group(1))
            else:
                problems.append(f"{m.group(1)}: imported from {pd_dll} but not exported by Pd")
    if not pd_used:
        problems.append(f"imports nothing from {pd_dll}")
    return problems, pd_used, f"imports from {pd_dll}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-glibc", default=None)
    parser.add_argument("--pd-dll", default="pd.dll")
    parser.add_argument("--float-size", type=int, choices=(32, 64), help="require class_new (32) or class_new64 (64)")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    max_glibc = tuple(int(x) for x in args.max_glibc.split(".")) if args.max_glibc else None
    exports = pd_exports()
    failed = False
    for name in args.files:
        path = Path(name)
        fmt = file_format(path)
        if fmt == "elf":
            problems, pd_used, note = check_elf(path, exports, max_glibc)
        elif fmt == "macho":
            problems, pd_used, note = check_macho(path, exports)
        elif fmt == "pe":
            problems, pd_used, note = check_pe(path, exports, args.pd_dll)
        else:
            problems, pd_used, note = [f"unknown file format"], [], ""
        if args.float_size:
            wanted, other = ("class_new64", "class_new") if args.float_size == 64 else ("class_new", "class_new64")
            if wanted not in pd_used or other in pd_used:
                problems.append(f"a {args.float_size}-bit float build must make its class with {wanted} only")
        if problems:
            failed = True
            print(f"symbols FAILED {path.name}: " + "; ".join(problems))
        else:
            print(f"symbols ok {path.name}: {SETUP} exported; {len(pd_used)} Pd symbols, all exported by Pd; {note}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
