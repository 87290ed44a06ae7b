"""OWL 2 DL profile check of one RDF/XML document, with the OWL API's own profile checker.

The checker is a small Java helper (java/ProfileCheck.java) compiled on first use against Debian's
libowlapi-java jars and cached, keyed by a hash of its source and classpath. It prints one
tab-separated line per violation; this module turns those lines into faults.
"""

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from agrs.checks.faults import CheckCannotRun, Fault
from agrs.paths import java_sources_dir

CHECK = "owl2-dl"
HELPER_CLASS = "ProfileCheck"
JAVA_LIB_DIR = Path("/usr/share/java")
# Generous: the OWL API checks a few thousand axioms in about a second, JVM start included.
RUN_TIMEOUT_S = 300
COMPILE_TIMEOUT_S = 120

# What the OWL API 5.1.20 of Debian needs at run time to load RDF/XML and run the profiles. Debian's
# jars carry no Class-Path manifest, so the list is spelled out: it is the closure `jdeps -R` gives
# for owlapi-distribution.jar, less what only other formats use (JSON-LD, HTTP) and the annotation-only
# jsr305. The OWL API swallows a missing class during its service injection and fails later with a
# bare NullPointerException, so a trimmed list would not fail clearly: keep it whole.
# (jar in /usr/share/java, Debian package that ships it)
RUNTIME_JARS = (
    ("owlapi-distribution.jar", "libowlapi-java"),
    ("commons-rdf-api.jar", "libcommons-rdf-java"),
    ("slf4j-api.jar", "libslf4j-java"),
    ("atinject-jsr330-api.jar", "libatinject-jsr330-api-java"),
    ("caffeine.jar", "libcaffeine-java"),
    ("guava.jar", "libguava-java"),
    ("hppcrt.jar", "libhppcrt-java"),
    ("commons-io.jar", "libcommons-io-java"),
    ("xz.jar", "libxz-java"),
    ("rdf4j-model.jar", "librdf4j-java"),
    ("rdf4j-model-api.jar", "librdf4j-java"),
    ("rdf4j-model-vocabulary.jar", "librdf4j-java"),
    ("rdf4j-rio-api.jar", "librdf4j-java"),
    ("rdf4j-util.jar", "librdf4j-java"),
)
# A no-op slf4j binding: without one slf4j prints a three-line warning on every run, and with a real
# one the OWL API logs parser notices; either way stderr would bury a real error.
SLF4J_NOP_JAR = "slf4j-nop.jar"

INSTALL_HINT = "install them with: apt-get install libowlapi-java default-jdk-headless"
# The OWL API ends every violation's text with "[axiom in OntologyID(...)]", or "[null in ...]" when
# no axiom is involved; with one document the ontology ID says nothing.
NO_AXIOM_SUFFIX = re.compile(r" \[null in OntologyID\(.*\)\]$")
ONTOLOGY_ID_SUFFIX = re.compile(r" in OntologyID\(.*\)\]$")


def check_dl_profile(owl_file: Path) -> list[Fault]:
    """Check that an RDF/XML ontology document (no owl:imports) is in the OWL 2 DL profile.

    Return one fault per OWL API profile violation, sorted; an empty list when the document is in
    OWL 2 DL. Undeclared entities are violations. Raise CheckCannotRun when Java, javac or the OWL
    API jars are missing, when the document cannot be loaded, or when the check times out.
    """
    java = require_tool("java", "a Java runtime")
    classpath = owlapi_classpath()
    classes = compiled_helper(classpath)
    stdout = run_helper(java, [*classpath, classes], owl_file)
    return parse_report(stdout)


def require_tool(name: str, what: str) -> str:
    """Return the path of an executable on PATH, or raise CheckCannotRun saying what to install."""
    found = shutil.which(name)
    if found is None:
        raise CheckCannotRun(f"{CHECK}: `{name}` ({what}) is not on PATH; {INSTALL_HINT}")
    return found


def owlapi_classpath() -> list[Path]:
    """Return the jars the OWL API needs at run time, or raise CheckCannotRun naming what is missing."""
    missing = sorted({package for jar, package in RUNTIME_JARS if not (JAVA_LIB_DIR / jar).is_file()})
    if missing:
        raise CheckCannotRun(
            f"{CHECK}: the OWL API or one of its libraries is missing from {JAVA_LIB_DIR}; "
            f"install them with: apt-get install {' '.join(missing)}"
        )
    jars = [JAVA_LIB_DIR / jar for jar, _ in RUNTIME_JARS]
    nop = JAVA_LIB_DIR / SLF4J_NOP_JAR
    # Optional: without it the run still works, and run_helper drops slf4j's warning lines.
    return [*jars, nop] if nop.is_file() else jars


def cache_dir() -> Path:
    """Return the folder where compiled helpers are kept: $AGRS_CACHE, else ~/.cache/agrs."""
    configured = os.environ.get("AGRS_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "agrs"


def compiled_helper(classpath: list[Path]) -> Path:
    """Return a folder holding ProfileCheck.class, compiling the helper when it is not cached yet."""
    source = java_sources_dir() / f"{HELPER_CLASS}.java"
    try:
        text = source.read_bytes()
    except OSError as error:
        raise CheckCannotRun(f"{CHECK}: cannot read the Java helper {source}: {error}") from error
    # The classpath is part of the key: a class compiled against other jars may not link against these.
    key = hashlib.sha256(text + os.pathsep.join(map(str, classpath)).encode()).hexdigest()[:16]
    target = cache_dir() / "java" / f"{HELPER_CLASS}-{key}"
    if (target / f"{HELPER_CLASS}.class").is_file():
        return target
    compile_into(source, classpath, target)
    return target


def compile_into(source: Path, classpath: list[Path], target: Path) -> None:
    """Compile the helper into a fresh folder, then move it to `target` in one step.

    Compiling beside the target and renaming means a concurrent run, or one killed mid-compile,
    never sees a half-written class folder.
    """
    javac = require_tool("javac", "a JDK")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{HELPER_CLASS}-", dir=target.parent))
    except OSError as error:
        raise CheckCannotRun(
            f"{CHECK}: cannot write the compiled helper to {target.parent} ({error}); "
            "point AGRS_CACHE at a writable folder"
        ) from error
    try:
        done = run_bounded(
            [
                javac,
                "-nowarn",
                "-encoding",
                "UTF-8",
                "-d",
                str(staging),
                "-cp",
                os.pathsep.join(map(str, classpath)),
                str(source),
            ],
            COMPILE_TIMEOUT_S,
            "compiling the Java helper",
        )
        if done.returncode != 0:
            raise CheckCannotRun(f"{CHECK}: javac failed on {source}:\n{done.stderr.strip()}")
        try:
            staging.rename(target)
        except OSError:
            # Another run compiled the same source first: its folder is as good as ours.
            if not (target / f"{HELPER_CLASS}.class").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def run_helper(java: str, classpath: list[Path], owl_file: Path) -> str:
    """Run the compiled helper on one document and return its stdout; raise CheckCannotRun on failure."""
    done = run_bounded(
        [java, "-Djava.awt.headless=true", "-cp", os.pathsep.join(map(str, classpath)), HELPER_CLASS, str(owl_file)],
        RUN_TIMEOUT_S,
        f"checking {owl_file}",
    )
    if done.returncode != 0:
        reason = readable_stderr(done.stderr)
        raise CheckCannotRun(f"{CHECK}: the OWL API could not check {owl_file}: {reason}")
    return done.stdout


def run_bounded(command: list[str], timeout_s: int, doing: str) -> subprocess.CompletedProcess[str]:
    """Run a command with captured UTF-8 output and a time limit; a timeout raises CheckCannotRun."""
    try:
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise CheckCannotRun(f"{CHECK}: gave up {doing} after {timeout_s} s") from error
    except OSError as error:
        raise CheckCannotRun(f"{CHECK}: cannot run {command[0]}: {error}") from error


def readable_stderr(stderr: str) -> str:
    """Return the helper's stderr without slf4j's binding warnings, or a placeholder when empty."""
    lines = [line for line in stderr.splitlines() if line.strip() and not line.startswith("SLF4J:")]
    return "\n".join(lines) or "no message (exit code only)"


def parse_report(stdout: str) -> list[Fault]:
    """Turn the helper's tab-separated report into sorted, distinct faults.

    Raise CheckCannotRun when the closing DONE line is missing or disagrees with the lines read:
    a truncated report must not pass for a clean one.
    """
    faults: list[Fault] = []
    violations = 0
    expected: int | None = None
    for line in stdout.splitlines():
        kind, *fields = line.split("\t")
        if kind == "VIOLATION" and len(fields) == 4:
            violations += 1
            faults.append(violation_fault(*fields))
        elif kind == "MISSING-IMPORT" and len(fields) == 2:
            faults.append(
                Fault(CHECK, "missing-import", f"owl:imports not resolved offline: {fields[1]}", term=fields[0] or None)
            )
        elif kind == "DONE" and len(fields) == 1 and fields[0].isdigit():
            expected = int(fields[0])
    if expected is None or expected != violations:
        raise CheckCannotRun(
            f"{CHECK}: the OWL API helper's report is incomplete ({violations} violations read, {expected} announced)"
        )
    return sorted(set(faults), key=lambda f: (f.rule, f.term or "", f.message))


def violation_fault(rule: str, term: str, axiom: str, text: str) -> Fault:
    """Build the fault for one OWL API violation: its class name is the rule, its text the message."""
    message = ONTOLOGY_ID_SUFFIX.sub("]", NO_AXIOM_SUFFIX.sub("", text))
    if not message:  # every violation has a text today; keep a fault readable if one ever has none
        message = f"{rule} in {axiom}" if axiom else rule
    return Fault(CHECK, rule, message, term=term or None)
