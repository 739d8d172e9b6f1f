"""A real OpenLDAP slapd (Debian's package) on loopback for the LDAP sign-in tests: a temporary
config and mdb database, a self-signed certificate for StartTLS, the memberOf overlay (groups on
the person's entry, as Active Directory has them), and a test directory of people and groups with
one disabled account. Skipped, saying why, when slapd is not installed (.ci/run installs it)."""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from ldap3 import MODIFY_ADD, MODIFY_DELETE, Connection, Server

SLAPD = shutil.which("slapd") or ("/usr/sbin/slapd" if Path("/usr/sbin/slapd").exists() else None)
SCHEMA = Path("/etc/ldap/schema")
MODULES = Path("/usr/lib/ldap")
BASE = "dc=mine,dc=example"
ADMIN_DN = f"cn=admin,{BASE}"
ADMIN_PASSWORD = "directory-admin-secret"
SERVICE_DN = f"cn=riskreg,ou=services,{BASE}"
SERVICE_PASSWORD = "service-account-secret"
PEOPLE = f"ou=people,{BASE}"
GROUPS = f"ou=groups,{BASE}"
PASSWORD = "directory password 1"

PEOPLE_ENTRIES = {
    "jdoe": ("Jane Doe", "jane.doe@mine.example", "active"),
    "bsmith": ("Bob Smith", "bob.smith@mine.example", "active"),
    "cgone": ("Carl Gone", "carl.gone@mine.example", "disabled"),
    "nogroup": ("Nora Nogroup", "nora@mine.example", "active"),
}
GROUP_MEMBERS = {
    "riskreg-admins": ["bsmith"],
    "riskreg-risk": ["jdoe", "cgone"],
    "riskreg-security-heads": [],
}


def missing_reason() -> str | None:
    if SLAPD is None:
        return "slapd is not installed (apt-get install slapd ldap-utils; .ci/run does)"
    if not (SCHEMA / "core.schema").exists() or not (MODULES / "back_mdb.so").exists():
        return "slapd's schema or modules are missing"
    return None


def person_dn(uid: str) -> str:
    return f"uid={uid},{PEOPLE}"


def group_dn(name: str) -> str:
    return f"cn={name},{GROUPS}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@dataclass
class Directory:
    url: str
    cert: Path
    process: subprocess.Popen

    @contextmanager
    def admin(self) -> Iterator[Connection]:
        conn = Connection(Server(self.url), ADMIN_DN, ADMIN_PASSWORD, auto_bind=True)
        try:
            yield conn
        finally:
            conn.unbind()

    def remove_from_group(self, uid: str, group: str) -> None:
        with self.admin() as conn:
            assert conn.modify(group_dn(group), {"member": [(MODIFY_DELETE, [person_dn(uid)])]}), conn.result

    def add_to_group(self, uid: str, group: str) -> None:
        with self.admin() as conn:
            assert conn.modify(group_dn(group), {"member": [(MODIFY_ADD, [person_dn(uid)])]}), conn.result

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        if self.process.stderr is not None:
            self.process.stderr.close()


def start(folder: Path) -> Directory:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data").mkdir()
    cert, key = self_signed(folder)
    conf = folder / "slapd.conf"
    conf.write_text(
        "\n".join(
            [
                *(
                    f"include {SCHEMA / name}"
                    for name in ("core.schema", "cosine.schema", "inetorgperson.schema")
                ),
                f"modulepath {MODULES}",
                "moduleload back_mdb",
                "moduleload memberof",
                f"pidfile {folder / 'slapd.pid'}",
                f"TLSCertificateFile {cert}",
                f"TLSCertificateKeyFile {key}",
                "database mdb",
                f'suffix "{BASE}"',
                f'rootdn "{ADMIN_DN}"',
                f"rootpw {ADMIN_PASSWORD}",
                f"directory {folder / 'data'}",
                "maxsize 10485760",
                "overlay memberof",
                "memberof-group-oc groupOfNames",
                "memberof-member-ad member",
                "memberof-memberof-ad memberOf",
                "memberof-refint true",
                "access to attrs=userPassword by anonymous auth by self write by * none",
                f'access to * by dn.exact="{SERVICE_DN}" read by self read by * none',
                "",
            ]
        )
    )
    port = free_port()
    url = f"ldap://127.0.0.1:{port}"
    process = subprocess.Popen(
        [SLAPD, "-f", str(conf), "-h", f"{url}/", "-d", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError as error:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                with process.stderr:
                    said = process.stderr.read().decode(errors="replace")
                raise RuntimeError(f"slapd did not start: {said}") from error
            time.sleep(0.1)
    directory = Directory(url, cert, process)
    load(directory)
    return directory


def load(directory: Directory) -> None:
    with directory.admin() as conn:
        add = conn.add
        assert add(BASE, ["dcObject", "organization"], {"o": "Mine Co", "dc": "mine"}), conn.result
        for ou in ("people", "groups", "services"):
            assert add(f"ou={ou},{BASE}", ["organizationalUnit"], {"ou": ou}), conn.result
        assert add(
            SERVICE_DN,
            ["person", "simpleSecurityObject"],
            {"cn": "riskreg", "sn": "service", "userPassword": SERVICE_PASSWORD},
        ), conn.result
        for uid, (name, mail, status) in PEOPLE_ENTRIES.items():
            attributes = {
                "uid": uid,
                "cn": name,
                "sn": name.split()[-1],
                "mail": mail,
                "userPassword": PASSWORD,
                "employeeType": status,
            }
            assert add(person_dn(uid), ["inetOrgPerson"], attributes), conn.result
        for group, members in GROUP_MEMBERS.items():
            # groupOfNames needs a member: the service account stands in for an empty group.
            member = [person_dn(uid) for uid in members] or [SERVICE_DN]
            assert add(group_dn(group), ["groupOfNames"], {"cn": group, "member": member}), conn.result
