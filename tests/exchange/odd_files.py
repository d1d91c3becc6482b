"""This project's own import fixtures: small files of each tracker with the odd rows the issue lists
(quoted line breaks in notes, empty and over-24-hour durations, zero-length entries, entries across
midnight, decimal commas, day-first and month-first dates, 12-hour times, a BOM, CRLF line ends,
no final newline)."""

from __future__ import annotations

import io

TOGGL_HEADER = "User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration,Tags"


def toggl_file(owner: str, member: str) -> bytes:
    """A Toggl "Detailed" CSV with a BOM, CRLF line ends and no final newline; rows 2 to 7.

    2: a note with a quoted line break (1:30, billable); 3: an empty duration (the span, 1 hour);
    4: over 24 hours (refused); 5: zero length; 6: across midnight (23:30 to 00:30);
    7: a formula-like note (=SUM(A1)).
    """
    rows = [
        f'Ada,{owner},Acme,Website,Design,"Kickoff\nwith notes",Yes,2025-03-04,09:00:00,2025-03-04,10:30:00,01:30:00,',
        f"Bo,{member},Acme,Website,,Empty duration,No,2025-03-04,11:00:00,2025-03-04,12:00:00,,",
        f"Bo,{member},Acme,Website,,Left running,No,2025-03-05,08:00:00,2025-03-06,09:00:00,25:00:00,",
        f"Bo,{member},Acme,Website,,Zero,No,2025-03-05,09:00:00,2025-03-05,09:00:00,00:00:00,",
        f"Bo,{member},Acme,Backend,,Late deploy,No,2025-03-06,23:30:00,2025-03-07,00:30:00,01:00:00,",
        f"Bo,{member},,Backend,,=SUM(A1),No,2025-03-07,10:00:00,2025-03-07,10:15:00,00:15:00,",
    ]
    return ("\ufeff" + TOGGL_HEADER + "\r\n" + "\r\n".join(rows)).encode()


CLOCKIFY_HEADER = (
    '"Project","Client","Description","Task","User","Group","Email","Tags","Billable","Start Date",'
    '"Start Time","End Date","End Time","Duration (h)","Duration (decimal)"'
)


def clockify_file(email: str, dates: tuple[str, str] = ("03/14/2025", "03/04/2025")) -> bytes:
    """A Clockify "Detailed report" CSV with month-first dates and 12-hour times (rows 2 and 3)."""
    first, second = dates
    rows = [
        f'"Website","Acme","Review","","Ada","","{email}","","Yes","{first}","09:15 AM","{first}","10:45 AM","01:30:00","1.50"',
        f'"Website","Acme","Late","","Ada","","{email}","","No","{second}","11:30 PM","{dates[1]}","11:45 PM","00:15:00","0.25"',
    ]
    return (CLOCKIFY_HEADER + "\r\n" + "\r\n".join(rows) + "\r\n").encode()


HARVEST_HEADER = "Date,Client,Project,Task,Notes,Hours,Billable?,First Name,Last Name"


def harvest_file() -> bytes:
    """A Harvest "Detailed time" CSV with decimal commas (rows 2 and 3) and no user columns filled."""
    rows = ['2025-02-03,Acme,Website,,Standup,"1,5",No,,', '2025-02-04,Acme,Website,,Review,"0,25",No,,']
    return (HARVEST_HEADER + "\n" + "\n".join(rows) + "\n").encode()


def pipe(data: bytes) -> io.BufferedReader:
    """``data`` as standard input gives it: a binary stream that is read once and cannot seek."""
    return io.BufferedReader(_Pipe(data))


class _Pipe(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        return self._data.readinto(buffer)
