#!/usr/bin/env python3
"""An independent verifier of loyalty-ledger audit bundles and proofs.

Written from docs/audit-format.md alone, with Python's standard library only
(no protobuf package, no cryptography package): SHA-256 from hashlib, Ed25519
from RFC 8032's reference arithmetic below, and a few lines of protobuf wire
format to read two envelope fields whose numbers it takes from the bundle's
own descriptor set.

  verify_bundle.py BUNDLE [--pubkey KEY.pem] [--allow-unsigned]
      Recomputes the hash chain and the Merkle tree from BUNDLE/events.bin,
      checks every checkpoint's Ed25519 signature and, for each checkpoint in
      the bundle's range, its chain head and Merkle root. Without --pubkey the
      signatures are checked against the keys the bundle carries, which proves
      only that the bundle is self-consistent: pin the operator's key. A
      bundle with no checkpoint in its range fails (anyone can chain events:
      only a signature vouches for them) unless --allow-unsigned is given.
  verify_bundle.py BUNDLE --extract SEQUENCE
      Writes the canonical bytes of one event to standard output, for
      `protoc --decode=loyalty.v1.Envelope`.
  verify_bundle.py --check-proof PROOF --pubkey KEY.pem
      Checks a proof written by `loyalty prove` (inclusion or consistency).

Exit codes: 0 verified; 1 usage error or unreadable input; 2 verification
failed (the message names the first sequence or checkpoint that failed).
"""

import argparse
import base64
import hashlib
import os
import re
import sys

EXIT_OK = 0
EXIT_USAGE = 1
EXIT_FAILED = 2


class VerificationError(Exception):
    """The bundle or proof does not verify."""


class InputError(Exception):
    """The input cannot be read as a bundle or proof at all."""


# ---------------------------------------------------------------------------
# Ed25519 signature verification (RFC 8032, section 6, reference arithmetic).

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _recover_x(y, sign):
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P)
    if x2 % _P == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P != 0:
        return None
    if (x & 1) != sign:
        x = _P - x
    return x


_G_Y = 4 * pow(5, _P - 2, _P) % _P
_G_X = _recover_x(_G_Y, 0)
_G = (_G_X, _G_Y, 1, _G_X * _G_Y % _P)


def _point_add(p, q):
    a = (p[1] - p[0]) * (q[1] - q[0]) % _P
    b = (p[1] + p[0]) * (q[1] + q[0]) % _P
    c = 2 * p[3] * q[3] * _D % _P
    d = 2 * p[2] * q[2] % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f, g * h, f * g, e * h)


def _point_mul(scalar, point):
    result = (0, 1, 1, 0)
    while scalar > 0:
        if scalar & 1:
            result = _point_add(result, point)
        point = _point_add(point, point)
        scalar >>= 1
    return result


def _point_equal(p, q):
    return ((p[0] * q[2] - q[0] * p[2]) % _P == 0 and
            (p[1] * q[2] - q[1] * p[2]) % _P == 0)


def _point_decompress(data):
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % _P)


def ed25519_verify(public_key, message, signature):
    """True when `signature` is `public_key`'s Ed25519 signature of `message`."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a = _point_decompress(public_key)
    r = _point_decompress(signature[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= _L:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(),
                       "little") % _L
    return _point_equal(_point_mul(s, _G), _point_add(r, _point_mul(h, a)))


# The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the key's 32
# raw bytes follow it.
_ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")


def read_public_key_pem(text):
    """The 32 raw bytes of an Ed25519 key in a PEM "PUBLIC KEY" block."""
    match = re.search(r"-----BEGIN PUBLIC KEY-----(.*?)-----END PUBLIC KEY-----", text, re.S)
    if not match:
        raise InputError("not a PEM public key (no BEGIN PUBLIC KEY block)")
    der = base64.b64decode("".join(match.group(1).split()))
    if len(der) != 44 or not der.startswith(_ED25519_SPKI_PREFIX):
        raise InputError("the public key is not an Ed25519 key")
    return der[12:]


# ---------------------------------------------------------------------------
# Hashes: the chain and RFC 6962's Merkle tree.

def sha256(*parts):
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return digest.digest()


def leaf_hash(event_bytes):
    return sha256(b"\x00", event_bytes)


def node_hash(left, right):
    return sha256(b"\x01", left, right)


class MerkleFrontier:
    """The peaks of a growing tree: its root at any size."""

    def __init__(self, size=0, peaks=None):
        self.size = size
        self.peaks = list(peaks or [])
        if len(self.peaks) != bin(size).count("1"):
            raise InputError("a tree of %d leaves has %d peaks, not %d"
                             % (size, bin(size).count("1"), len(self.peaks)))

    def add(self, leaf):
        node, bits = leaf, self.size
        while bits & 1:
            node = node_hash(self.peaks.pop(), node)
            bits >>= 1
        self.peaks.append(node)
        self.size += 1

    def root(self):
        if not self.peaks:
            return sha256(b"")
        root = self.peaks[-1]
        for peak in reversed(self.peaks[:-1]):
            root = node_hash(peak, root)
        return root


def verify_inclusion(leaf_index, tree_size, path, leaf, root):
    """RFC 9162, 2.1.3.2."""
    if leaf_index < 0 or leaf_index >= tree_size:
        return False
    fn, sn, r = leaf_index, tree_size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, path, first_root, second_root):
    """RFC 9162, 2.1.4.2."""
    if first < 1 or first > second:
        return False
    if first == second:
        return not path and first_root == second_root
    if not path:
        return False
    if first & (first - 1) == 0:
        path = [first_root] + list(path)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root


# ---------------------------------------------------------------------------
# Protobuf wire format: just enough to read the fields of a message.

def read_varint(data, at):
    value, shift = 0, 0
    while True:
        if at >= len(data) or shift > 63:
            raise ValueError("truncated or over-long varint")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, at


def message_fields(data):
    """Yields (field number, wire type, value) for each field of a message:
    an int for varints and fixed numbers, bytes for length-delimited ones."""
    at = 0
    while at < len(data):
        key, at = read_varint(data, at)
        number, wire_type = key >> 3, key & 7
        if number == 0:
            raise ValueError("field number 0")
        if wire_type == 0:
            value, at = read_varint(data, at)
        elif wire_type == 1:
            if at + 8 > len(data):
                raise ValueError("truncated fixed64")
            value, at = int.from_bytes(data[at:at + 8], "little"), at + 8
        elif wire_type == 2:
            length, at = read_varint(data, at)
            if at + length > len(data):
                raise ValueError("truncated length-delimited field")
            value, at = data[at:at + length], at + length
        elif wire_type == 5:
            if at + 4 > len(data):
                raise ValueError("truncated fixed32")
            value, at = int.from_bytes(data[at:at + 4], "little"), at + 4
        else:
            raise ValueError("unsupported wire type %d" % wire_type)
        yield number, wire_type, value


def envelope_field_numbers(descriptor_set):
    """The numbers of loyalty.v1.Envelope's `sequence` and `previous_hash`
    fields, read from a serialized google.protobuf.FileDescriptorSet
    (descriptor.proto: FileDescriptorSet.file = 1; FileDescriptorProto.package
    = 2, .message_type = 4; DescriptorProto.name = 1, .field = 2;
    FieldDescriptorProto.name = 1, .number = 3)."""
    for number, _, file_bytes in message_fields(descriptor_set):
        if number != 1:
            continue
        package, messages = b"", []
        for file_field, _, value in message_fields(file_bytes):
            if file_field == 2:
                package = value
            elif file_field == 4:
                messages.append(value)
        if package != b"loyalty.v1":
            continue
        for message in messages:
            name, fields = b"", {}
            for message_field, _, value in message_fields(message):
                if message_field == 1:
                    name = value
                elif message_field == 2:
                    field_name, field_number = b"", 0
                    for part, _, part_value in message_fields(value):
                        if part == 1:
                            field_name = part_value
                        elif part == 3:
                            field_number = part_value
                    fields[field_name] = field_number
            if name == b"Envelope":
                if b"sequence" not in fields or b"previous_hash" not in fields:
                    raise InputError("the descriptor set's Envelope lacks sequence or "
                                     "previous_hash")
                return fields[b"sequence"], fields[b"previous_hash"]
    raise InputError("the descriptor set has no loyalty.v1.Envelope")


def read_events(path):
    """Yields each record of a length-delimited file, in order."""
    with open(path, "rb") as file:
        data = file.read()
    at, index = 0, 0
    while at < len(data):
        try:
            length, body = read_varint(data, at)
        except ValueError:
            raise VerificationError("record %d of events.bin: its length prefix is truncated"
                                    % (index + 1))
        if body + length > len(data):
            raise VerificationError("record %d of events.bin: truncated (%d bytes announced, "
                                    "%d left)" % (index + 1, length, len(data) - body))
        yield data[body:body + length]
        at, index = body + length, index + 1


# ---------------------------------------------------------------------------
# Checkpoint records.

def parse_checkpoint(record):
    """The fields of a checkpoint record (docs/audit-format.md), checked to be
    in canonical form."""
    try:
        text = record.decode("ascii")
    except UnicodeDecodeError:
        raise VerificationError("the checkpoint record is not ASCII")
    if not text.endswith("\n"):
        raise VerificationError("the checkpoint record does not end with a newline")
    lines = text[:-1].split("\n")
    hex64 = "[0-9a-f]{64}"
    number = "(0|[1-9][0-9]*)"
    pattern = [("format", "loyalty-checkpoint/1"),
               ("sequence", "sequence " + number),
               ("chain_head", "chain_head (" + hex64 + ")"),
               ("merkle_root", "merkle_root (" + hex64 + ")")]
    if len(lines) < 6:
        raise VerificationError("the checkpoint record has %d lines, fewer than 6" % len(lines))
    fields, projections = {}, []
    for (name, regex), line in zip(pattern, lines[:4]):
        match = re.fullmatch(regex, line)
        if not match:
            raise VerificationError("checkpoint record: bad %s line %r" % (name, line))
        fields[name] = match.group(1) if match.groups() else line
    for line in lines[4:-2]:
        match = re.fullmatch("projection ([a-z0-9_-]{1,64}) (" + hex64 + ")", line)
        if not match:
            raise VerificationError("checkpoint record: bad projection line %r" % line)
        projections.append((match.group(1), match.group(2)))
    if [name for name, _ in projections] != sorted({name for name, _ in projections}):
        raise VerificationError("checkpoint record: projections not unique and sorted")
    signer = re.fullmatch("signer_key_sha256 (" + hex64 + ")", lines[-2])
    signed_at = re.fullmatch("signed_at_us " + number, lines[-1])
    if not signer or not signed_at:
        raise VerificationError("checkpoint record: bad signer or signed_at_us line")
    return {
        "sequence": int(fields["sequence"]),
        "chain_head": bytes.fromhex(fields["chain_head"]),
        "merkle_root": bytes.fromhex(fields["merkle_root"]),
        "projections": projections,
        "signer": bytes.fromhex(signer.group(1)),
        "signed_at_us": int(signed_at.group(1)),
    }


def check_signature(name, record, signature, fields, keys, pinned_key):
    """Checks that the record names a known (or the pinned) signer and that
    the signature is that signer's."""
    if pinned_key is not None:
        if fields["signer"] != sha256(pinned_key):
            raise VerificationError("%s: signed by key %s, not by the trusted key %s"
                                    % (name, fields["signer"].hex(), sha256(pinned_key).hex()))
        key = pinned_key
    else:
        key = keys.get(fields["signer"])
        if key is None:
            raise VerificationError("%s: the bundle has no key %s" % (name, fields["signer"].hex()))
    if not ed25519_verify(key, record, signature):
        raise VerificationError("%s: the signature is not valid for key %s"
                                % (name, fields["signer"].hex()))


# ---------------------------------------------------------------------------
# The bundle.

def read_manifest(path):
    values, peaks = {}, []
    with open(path, "r", encoding="ascii") as file:
        lines = file.read().splitlines()
    if not lines or lines[0] != "loyalty-audit-bundle/1":
        raise InputError("%s: not a loyalty-audit-bundle/1 manifest" % path)
    for line in lines[1:]:
        key, _, value = line.partition(" ")
        if key == "merkle_peak":
            peaks.append(bytes.fromhex(value))
        else:
            values[key] = value
    try:
        return {
            "from": int(values["from"]),
            "to": int(values["to"]),
            "chain_start": bytes.fromhex(values["chain_start"]),
            "chain_end": bytes.fromhex(values["chain_end"]),
            "events_sha256": bytes.fromhex(values["events_sha256"]),
            "merkle_peaks": peaks,
        }
    except (KeyError, ValueError) as error:
        raise InputError("%s: missing or bad field: %s" % (path, error))


def read_keys(bundle):
    keys = {}
    directory = os.path.join(bundle, "keys")
    if os.path.isdir(directory):
        for name in sorted(os.listdir(directory)):
            with open(os.path.join(directory, name), "r", encoding="ascii") as file:
                raw = read_public_key_pem(file.read())
            fingerprint = sha256(raw)
            if name != fingerprint.hex() + ".pem":
                raise VerificationError("keys/%s holds key %s" % (name, fingerprint.hex()))
            keys[fingerprint] = raw
    return keys


def read_checkpoints(bundle):
    checkpoints = []
    directory = os.path.join(bundle, "checkpoints")
    if not os.path.isdir(directory):
        return checkpoints
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".checkpoint"):
            continue
        base = os.path.join(directory, name[:-len(".checkpoint")])
        with open(base + ".checkpoint", "rb") as file:
            record = file.read()
        with open(base + ".sig", "rb") as file:
            signature = file.read()
        checkpoints.append((int(name[:-len(".checkpoint")]), record, signature))
    return checkpoints


def verify_bundle(bundle, pinned_key, out, allow_unsigned=False):
    manifest = read_manifest(os.path.join(bundle, "manifest.txt"))
    with open(os.path.join(bundle, "schemas", "descriptor_set.binpb"), "rb") as file:
        sequence_field, previous_hash_field = envelope_field_numbers(file.read())
    keys = read_keys(bundle)
    first, last = manifest["from"], manifest["to"]

    # Every checkpoint is signed; those in range are compared below.
    by_sequence = {}
    for number, record, signature in read_checkpoints(bundle):
        name = "checkpoint %d" % number
        fields = parse_checkpoint(record)
        check_signature(name, record, signature, fields, keys, pinned_key)
        if first - 1 <= fields["sequence"] <= last:
            by_sequence.setdefault(fields["sequence"], []).append((number, fields))
        else:
            out.write("%s (sequence %d): signature ok; outside this bundle's range\n"
                      % (name, fields["sequence"]))

    def check_point(sequence, chain, frontier):
        for number, fields in by_sequence.get(sequence, []):
            name = "checkpoint %d (sequence %d)" % (number, sequence)
            if chain != fields["chain_head"]:
                raise VerificationError(
                    "sequence %d: the chain recomputed from the events is %s, not %s's signed "
                    "chain head %s: an event at or before sequence %d was altered, removed or "
                    "reordered" % (sequence, chain.hex(), name, fields["chain_head"].hex(),
                                   sequence))
            if frontier.root() != fields["merkle_root"]:
                raise VerificationError("%s: the Merkle root recomputed from the events is %s, "
                                        "not the signed %s" % (name, frontier.root().hex(),
                                                                fields["merkle_root"].hex()))
            out.write("%s: signature ok, chain head ok, merkle root ok\n" % name)

    events_hash = hashlib.sha256()
    chain = manifest["chain_start"]
    frontier = MerkleFrontier(first - 1, manifest["merkle_peaks"])
    check_point(first - 1, chain, frontier)
    expected = first
    for event in read_events(os.path.join(bundle, "events.bin")):
        events_hash.update(_varint_bytes(len(event)) + event)
        if expected > last:
            raise VerificationError("sequence %d: events.bin holds more events than the "
                                    "manifest's range %d..%d" % (expected, first, last))
        sequence, previous_hash = None, None
        try:
            for number, wire_type, value in message_fields(event):
                if number == sequence_field and wire_type == 0:
                    sequence = value
                elif number == previous_hash_field and wire_type == 2:
                    previous_hash = value
        except ValueError as error:
            raise VerificationError("sequence %d: not a protobuf message (%s)" % (expected, error))
        if sequence != expected:
            raise VerificationError("sequence %d: the event in its place says sequence %s: an "
                                    "event was removed, reordered or altered"
                                    % (expected, sequence))
        if (previous_hash or b"") != chain:
            if expected == first:
                raise VerificationError("sequence %d: previous_hash is not the manifest's "
                                        "chain_start" % expected)
            raise VerificationError("sequence %d: its bytes do not hash to the previous_hash "
                                    "that sequence %d records" % (expected - 1, expected))
        chain = sha256(chain, event)
        frontier.add(leaf_hash(event))
        check_point(expected, chain, frontier)
        expected += 1
    if expected != last + 1:
        raise VerificationError("sequence %d: missing from events.bin (the manifest says %d..%d)"
                                % (expected, first, last))
    if chain != manifest["chain_end"]:
        raise VerificationError("sequence %d: its bytes do not hash to the manifest's chain_end"
                                % last)
    if events_hash.digest() != manifest["events_sha256"]:
        raise VerificationError("events.bin does not have the manifest's events_sha256")
    out.write("events %d..%d: chain head %s, merkle root %s\n"
              % (first, last, chain.hex(), frontier.root().hex()))
    signed_to = max(by_sequence) if by_sequence else None
    if signed_to is None:
        # Chaining proves nothing by itself: whoever altered the events can
        # recompute the chain and the manifest. Only a signature vouches.
        if not allow_unsigned:
            raise VerificationError("no checkpoint falls in this bundle's range %d..%d: the "
                                    "events chain, but no signature vouches for them (pass "
                                    "--allow-unsigned to accept that)" % (first - 1, last))
        out.write("warning: no checkpoint falls in this bundle's range: the events chain, "
                  "but no signature vouches for them\n")
    elif signed_to < last:
        out.write("warning: events %d..%d come after the last checkpoint in range: they chain, "
                  "but no signature vouches for them yet\n" % (signed_to + 1, last))
    if pinned_key is None:
        out.write("warning: signatures were checked with the keys in the bundle; pass --pubkey "
                  "with the operator's key to pin it\n")
    out.write("ok\n")


def _varint_bytes(value):
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def extract_event(bundle, sequence):
    manifest = read_manifest(os.path.join(bundle, "manifest.txt"))
    if not manifest["from"] <= sequence <= manifest["to"]:
        raise InputError("sequence %d is not in this bundle (%d..%d)"
                         % (sequence, manifest["from"], manifest["to"]))
    for index, event in enumerate(read_events(os.path.join(bundle, "events.bin"))):
        if manifest["from"] + index == sequence:
            return event
    raise VerificationError("sequence %d: missing from events.bin" % sequence)


# ---------------------------------------------------------------------------
# Proof documents.

def check_proof(text, pinned_key, out):
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    position = [0]

    def take(key):
        if position[0] >= len(lines) or not lines[position[0]].startswith(key + " "):
            raise InputError("proof, line %d: expected %r" % (position[0] + 1, key + " ..."))
        value = lines[position[0]][len(key) + 1:]
        position[0] += 1
        return value

    def take_path():
        path = []
        while position[0] < len(lines) and lines[position[0]].startswith("path "):
            path.append(bytes.fromhex(take("path")))
        return path

    def take_checkpoint():
        number, _, encoded = take("checkpoint").partition(" ")
        record = base64.b64decode(encoded, validate=True)
        signature = bytes.fromhex(take("signature"))
        fields = parse_checkpoint(record)
        name = "checkpoint %s" % number
        check_signature(name, record, signature, fields, {}, pinned_key)
        return name, fields

    kind = lines[0] if lines else ""
    position[0] = 1
    if kind == "loyalty-proof/1 inclusion":
        sequence = int(take("sequence"))
        tree_size = int(take("tree_size"))
        event = base64.b64decode(take("event"), validate=True)
        path = take_path()
        name, checkpoint = take_checkpoint()
        if not 1 <= sequence <= tree_size:
            raise VerificationError("sequence %d in %s: not in a tree of %d events (a sequence "
                                    "is 1 to the tree size)" % (sequence, name, tree_size))
        if tree_size != checkpoint["sequence"]:
            raise VerificationError("proof: tree size %d is not %s's sequence %d"
                                    % (tree_size, name, checkpoint["sequence"]))
        if not verify_inclusion(sequence - 1, tree_size, path, leaf_hash(event),
                                checkpoint["merkle_root"]):
            raise VerificationError("sequence %d in %s: the proof does not lead to its Merkle "
                                    "root" % (sequence, name))
        out.write("ok: sequence %d is in %s (a tree of %d events), signed by %s\n"
                  % (sequence, name, tree_size, checkpoint["signer"].hex()))
    elif kind == "loyalty-proof/1 consistency":
        old_size = int(take("old_size"))
        new_size = int(take("new_size"))
        path = take_path()
        old_name, old = take_checkpoint()
        new_name, new = take_checkpoint()
        if old_size != old["sequence"] or new_size != new["sequence"]:
            raise VerificationError("proof: sizes %d and %d are not the checkpoints' sequences "
                                    "%d and %d" % (old_size, new_size, old["sequence"],
                                                   new["sequence"]))
        if not verify_consistency(old_size, new_size, path, old["merkle_root"],
                                  new["merkle_root"]):
            raise VerificationError("%s as an extension of %s: the proof does not hold"
                                    % (new_name, old_name))
        out.write("ok: %s (%d events) extends %s (%d events)\n"
                  % (new_name, new_size, old_name, old_size))
    else:
        raise InputError("proof, line 1: %r is not a loyalty-proof/1 header" % kind)
    if position[0] != len(lines):
        raise InputError("proof, line %d: unexpected line" % (position[0] + 1))


def main(argv):
    parser = argparse.ArgumentParser(
        prog="verify_bundle.py",
        description="Verify a loyalty-ledger audit bundle or proof (docs/audit-format.md).")
    parser.add_argument("bundle", nargs="?", help="the bundle directory")
    parser.add_argument("--pubkey", help="the signer's Ed25519 public key (PEM) to trust")
    parser.add_argument("--extract", type=int, metavar="SEQUENCE",
                        help="write one event's canonical bytes to standard output")
    parser.add_argument("--check-proof", metavar="PROOF",
                        help="check a proof written by `loyalty prove` (needs --pubkey)")
    parser.add_argument("--allow-unsigned", action="store_true",
                        help="accept a bundle with no checkpoint in its range (the events "
                             "chain, but no signature vouches for them)")
    args = parser.parse_args(argv)
    try:
        pinned_key = None
        if args.pubkey:
            with open(args.pubkey, "r", encoding="ascii") as file:
                pinned_key = read_public_key_pem(file.read())
        if args.check_proof:
            if pinned_key is None:
                parser.error("--check-proof needs --pubkey")
            with open(args.check_proof, "r", encoding="ascii") as file:
                check_proof(file.read(), pinned_key, sys.stdout)
            return EXIT_OK
        if not args.bundle:
            parser.error("name a bundle directory")
        if args.extract is not None:
            sys.stdout.buffer.write(extract_event(args.bundle, args.extract))
            return EXIT_OK
        verify_bundle(args.bundle, pinned_key, sys.stdout, args.allow_unsigned)
        return EXIT_OK
    except VerificationError as error:
        sys.stdout.flush()
        sys.stderr.write("verify_bundle: %s\n" % error)
        return EXIT_FAILED
    except (InputError, OSError, ValueError) as error:
        sys.stdout.flush()
        sys.stderr.write("verify_bundle: %s\n" % error)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
