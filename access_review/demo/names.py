"""Name pools and the small text rules the demo district uses for people, buildings and e-mail.

The pools deliberately carry accents, apostrophes and hyphens ("O'Brien", "Zoë", "Núñez"):
real rosters do, and the AD display names built from them ("O'Brien, Zoë") carry commas,
which an LDAP distinguished name must escape (RFC 4514 section 2.4).
"""

from __future__ import annotations

import unicodedata

DOMAIN = "district.example.org"
STUDENT_DOMAIN = "students.district.example.org"
TENANT_DOMAIN = "district.onmicrosoft.com"
BASE_DN = "DC=district,DC=example,DC=org"
CENTRAL_OFFICE = "Central Office"

FIRST_NAMES = (
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Christopher",
    "Lisa",
    "Daniel",
    "Nancy",
    "Matthew",
    "Betty",
    "Anthony",
    "Margaret",
    "Mark",
    "Sandra",
    "Donald",
    "Ashley",
    "Steven",
    "Kimberly",
    "Paul",
    "Emily",
    "Andrew",
    "Donna",
    "Joshua",
    "Michelle",
    "Kenneth",
    "Carol",
    "Kevin",
    "Amanda",
    "Brian",
    "Dorothy",
    "George",
    "Melissa",
    "Timothy",
    "Deborah",
    "José",
    "María",
    "Zoë",
    "Renée",
    "André",
    "Chloé",
    "Noël",
    "Siobhán",
    "Seán",
    "Zoë",
    "Björn",
    "Ngozi",
    "Aaliyah",
    "Wei",
    "Priya",
    "Mohammed",
    "Fatima",
    "Hiroshi",
    "Yuki",
    "Oluwaseun",
    "Thanh",
    "Dmitri",
    "Anaïs",
    "Joaquín",
    "Inés",
    "Łucja",
    "Søren",
    "Émile",
    "D'Andre",
    "Mary-Kate",
    "Jean-Luc",
    "Ximena",
)

LAST_NAMES = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "O'Brien",
    "O'Neil",
    "D'Angelo",
    "Núñez",
    "Müller",
    "Peña",
    "Ångström",
    "Lefèvre",
    "Ní Bhriain",
    "Okafor-Smith",
    "Van der Berg",
    "Özdemir",
    "Kowalczyk",
    "Nakamura",
    "Patel",
    "Chen",
    "Kim",
    "Okonkwo",
    "Haddad",
    "Dubois",
    "Jiménez",
    "Sørensen",
    "MacDonald",
    "St. James",
    "Dupré",
    "Bělohlávek",
)

BUILDING_NAMES = (
    "Lincoln",
    "Washington",
    "Jefferson",
    "Roosevelt",
    "Franklin",
    "Kennedy",
    "Adams",
    "Madison",
    "Monroe",
    "O'Keeffe",
    "Hamilton",
    "Garfield",
    "Emerson",
    "Whitman",
    "Thoreau",
    "Edison",
    "Carver",
    "Douglass",
    "Tubman",
    "Chávez",
    "Parks",
    "Keller",
    "Earhart",
    "Sequoyah",
    "Mead",
    "Curie",
    "Audubon",
    "Muir",
    "Alcott",
    "Hawthorne",
    "Longfellow",
    "Twain",
    "Frost",
    "Dickinson",
    "Sandburg",
    "Whittier",
    "Bryant",
    "Irving",
    "Cather",
    "Steinbeck",
)
# A district has more elementary schools than middle and high schools.
BUILDING_TYPES = ("Elementary", "Middle", "High", "Elementary", "Elementary")
BUILDING_QUALIFIERS = (
    "North",
    "South",
    "East",
    "West",
    "Lake",
    "River",
    "Valley",
    "Hill",
    "Park",
    "Ridge",
)
GRADES = {
    "Elementary": ("K", "1", "2", "3", "4", "5"),
    "Middle": ("6", "7", "8"),
    "High": ("9", "10", "11", "12"),
}


def building_names(count: int) -> list[tuple[str, str]]:
    """``count`` distinct school names with their type, deterministic by position."""
    found: list[tuple[str, str]] = []
    for index in range(count):
        base = BUILDING_NAMES[index % len(BUILDING_NAMES)]
        kind = BUILDING_TYPES[index % len(BUILDING_TYPES)]
        round_ = index // len(BUILDING_NAMES)
        if round_:
            base = f"{BUILDING_QUALIFIERS[(round_ - 1) % len(BUILDING_QUALIFIERS)]} {base}"
            if round_ > len(BUILDING_QUALIFIERS):
                base = f"{base} {round_}"
        found.append((f"{base} {kind}", kind))
    return found


_NO_DECOMPOSITION = str.maketrans({"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "ß": "ss"})


def ascii_fold(text: str) -> str:
    """'Zoë Ní Bhriain' -> 'Zoe Ni Bhriain': e-mail local parts are ASCII in most districts."""
    # NFKD splits accents off letters; a few letters (Ł, Ø) have no decomposition.
    text = text.translate(_NO_DECOMPOSITION)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def login_base(first: str, last: str) -> str:
    """'Zoë', "O'Brien" -> 'zoe.obrien' (apostrophes, spaces and dots dropped)."""

    def clean(part: str) -> str:
        return "".join(ch for ch in ascii_fold(part).lower() if ch.isalnum() or ch == "-")

    return f"{clean(first)}.{clean(last)}"


def slug(text: str) -> str:
    """'Chávez Elementary' -> 'chavez-elementary' for group e-mail addresses."""
    cleaned = "".join(ch if ch.isalnum() else "-" for ch in ascii_fold(text).lower())
    return "-".join(part for part in cleaned.split("-") if part)


def escape_dn_value(value: str) -> str:
    """Escape an attribute value for a distinguished name (RFC 4514 section 2.4)."""
    out = []
    for index, ch in enumerate(value):
        if (
            ch in ',+"\\<>;='
            or (ch == "#" and index == 0)
            or (ch == " " and index in (0, len(value) - 1))
        ):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)
