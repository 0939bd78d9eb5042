"""The deck's zip around the slides python-pptx builds: media streamed in, parts named in constant
time, and a fingerprint that tells a deck as this project wrote it from one a user has changed.

python-pptx, left to itself, does three things a deck of many slides or large videos cannot take:
- it reads every embedded file whole into memory (a 7 GB video: MemoryError). `Media` hands it a
  stand-in of a few dozen bytes per distinct file instead, and `write_zip` streams the file itself
  into the zip where its stand-in was;
- it names each new part (a notes slide, an image, a video) after listing every part of the package,
  and finds an image or video it holds already the same way, so n slides took time in n squared.
  `name_parts_in_constant_time` keeps the names taken and the parts by their content instead;
- it cannot say whether a deck was changed after it was written. `write_zip` records a fingerprint
  of every part (its name, CRC-32 and size, from the zip's directory) in the deck's core properties
  (`dc:identifier`), and `is_unchanged` compares: a slide a user added, in PowerPoint or python-pptx,
  changes the parts, and the deck no longer matches.
"""

from __future__ import annotations

import collections
import hashlib
import io
import os
import re
import shutil
import zipfile
from pathlib import Path
from typing import BinaryIO

CORE = "docProps/core.xml"  # the core properties part: where the fingerprint is kept
FINGERPRINT = "vae-trajectories-fingerprint:"  # before the fingerprint's hex digits in dc:identifier
UNSET = "0" * 64  # the fingerprint while the parts it covers are written
CHUNK = 1 << 20  # bytes read at a time from an embedded file


class Media:
    """The files a deck embeds, each distinct content once, as python-pptx sees them: a stand-in of a
    few bytes (a 1x1 PNG for a picture, so that python-pptx can read its format), swapped for the
    file's bytes when the zip is written."""

    def __init__(self) -> None:
        self.files: dict[bytes, Path] = {}  # stand-in -> the file whose bytes go in its place
        self._by_content: dict[tuple[str, bool], bytes] = {}
        self._by_inode: dict[tuple[int, int, bool], bytes] = {}

    def stand_in(self, path: Path, picture: bool) -> io.BytesIO:
        """A stand-in for `path`'s bytes (the same one for files of the same bytes: one part in the
        deck); raises OSError where the file cannot be read to the end."""
        info = os.stat(path)
        inode = (info.st_dev, info.st_ino, picture)  # a hard link is read once
        if inode not in self._by_inode:
            content = (_sha256(path), picture)
            if content not in self._by_content:
                number = len(self.files)
                token = _png_stand_in(number) if picture else f"vae-trajectories media {number}\n".encode()
                self.files[token] = path
                self._by_content[content] = token
            self._by_inode[inode] = self._by_content[content]
        return io.BytesIO(self._by_inode[inode])


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _png_stand_in(number: int) -> bytes:
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    text = PngInfo()
    text.add_text("vae-trajectories", f"stand-in {number}")
    buffer = io.BytesIO()
    Image.new("L", (1, 1)).save(buffer, "PNG", pnginfo=text)
    return buffer.getvalue()


def name_parts_in_constant_time(package) -> None:
    """Give python-pptx's `package` part naming and image/video lookup that take the same time however
    many parts it holds (its own list every part on each call). Set on this one package object, so
    nothing else python-pptx builds changes."""
    from pptx.opc.packuri import PackURI
    from pptx.parts.image import Image, ImagePart
    from pptx.parts.media import MediaPart

    taken = {str(part.partname) for part in package.iter_parts()}
    following: dict[str, int] = {}  # a template's prefix -> the number to try next

    def next_partname(template: str) -> PackURI:
        prefix = template[:(template % 42).find("42")]
        number = following.get(prefix, 1)
        while template % number in taken:
            number += 1
        following[prefix] = number + 1
        taken.add(template % number)
        return PackURI(template % number)

    images = {part.sha1: part for part in package._image_parts if hasattr(part, "sha1")}
    videos = {part.sha1: part for part in package._media_parts}

    def get_or_add_image_part(image_file):
        image = Image.from_file(image_file)
        if image.sha1 not in images:
            images[image.sha1] = ImagePart.new(package, image)
        return images[image.sha1]

    def get_or_add_media_part(media):
        if media.sha1 not in videos:
            videos[media.sha1] = MediaPart.new(package, media)
        return videos[media.sha1]

    package.next_partname = next_partname
    package.next_image_partname = lambda ext: next_partname("/ppt/media/image%d." + ext.replace("%", "%%"))
    package.next_media_partname = lambda ext: next_partname("/ppt/media/media%d." + ext.replace("%", "%%"))
    package.get_or_add_image_part = get_or_add_image_part
    package.get_or_add_media_part = get_or_add_media_part
    package.presentation_part.rels.__class__ = _indexed_relationships()  # one relationship per slide: the list that grows


def _indexed_relationships() -> type:
    """python-pptx's relationships of one part, indexed by (type, target) and by type: its own search
    them all each time a slide is related to the presentation or the notes master is looked up."""
    from pptx.opc.package import _Relationships

    class IndexedRelationships(_Relationships):
        def _index(self) -> tuple[dict, dict]:
            if "_by_target" not in self.__dict__:
                self.__dict__["_by_target"], self.__dict__["_by_type"] = {}, {}
                for rel in self.values():
                    self._note(rel)
            return self.__dict__["_by_target"], self.__dict__["_by_type"]

        def _note(self, rel) -> None:
            by_target, by_type = self.__dict__["_by_target"], self.__dict__["_by_type"]
            by_target.setdefault((rel.reltype, rel.is_external, rel.target_ref if rel.is_external else rel.target_part), rel.rId)
            by_type.setdefault(rel.reltype, []).append(rel)

        @property
        def _rels_by_reltype(self) -> dict:
            return collections.defaultdict(list, self._index()[1])

        def _get_matching(self, reltype, target, is_external=False):
            return self._index()[0].get((reltype, is_external, target))

        def _add_relationship(self, reltype, target, is_external=False):
            self._index()
            rId = super()._add_relationship(reltype, target, is_external)
            self._note(self._rels[rId])
            return rId

        def pop(self, rId):
            self.__dict__.pop("_by_target", None)
            return super().pop(rId)

    return IndexedRelationships


def write_zip(built: BinaryIO, media: Media, target: Path) -> None:
    """The deck python-pptx saved to `built` (stand-ins in place of media) as the zip `target`: each
    stand-in replaced by its file's bytes, copied a block at a time and stored as they are (MP4 and
    PNG are compressed already); the core properties last, with the fingerprint of all the rest."""
    with zipfile.ZipFile(built) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as deck:
        core, core_info = None, None
        for info in source.infolist():
            data = source.read(info)
            if info.filename == CORE:
                core, core_info = data, info
                continue
            member = zipfile.ZipInfo(info.filename, info.date_time)
            if data in media.files:
                member.compress_type = zipfile.ZIP_STORED
                member.file_size = os.stat(media.files[data]).st_size  # ZIP64 where a video needs it
                with open(media.files[data], "rb") as handle, deck.open(member, "w") as stored:
                    shutil.copyfileobj(handle, stored, CHUNK)
            else:
                member.compress_type = zipfile.ZIP_DEFLATED
                deck.writestr(member, data)
        if core is None or f"{FINGERPRINT}{UNSET}".encode() not in core:
            raise AssertionError("the deck's core properties hold no place for its fingerprint")
        fingerprint = _fingerprint(deck.infolist(), core)
        deck.writestr(zipfile.ZipInfo(CORE, core_info.date_time), core.replace(UNSET.encode(), fingerprint.encode(), 1), zipfile.ZIP_DEFLATED)


def _fingerprint(parts: list[zipfile.ZipInfo], core: bytes) -> str:
    """Every part but the core properties by name, CRC-32 and size, and the core properties with the
    fingerprint unset, hashed: the zip's directory says all but the last, so no video is read again."""
    digest = hashlib.sha256()
    for part in sorted(parts, key=lambda part: (part.filename, part.CRC, part.file_size)):
        digest.update(f"{part.filename}\0{part.CRC:08x}\0{part.file_size}\n".encode("utf-8", "surrogateescape"))
    digest.update(core)
    return digest.hexdigest()


def is_unchanged(path: Path) -> bool:
    """Whether the zip at `path` is as `write_zip` wrote it: its fingerprint matches its parts."""
    try:
        with zipfile.ZipFile(path) as deck:
            core = deck.read(CORE)
            parts = [info for info in deck.infolist() if info.filename != CORE]
    except (OSError, zipfile.BadZipFile, KeyError, RuntimeError, ValueError, EOFError):
        return False
    found = re.search(re.escape(FINGERPRINT.encode()) + rb"([0-9a-f]{64})", core)
    if found is None:
        return False
    unset = core[:found.start(1)] + UNSET.encode() + core[found.end(1):]
    return _fingerprint(parts, unset) == found[1].decode()
