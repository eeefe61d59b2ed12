"""Plausible fake identities: UK trading names, people, addresses, emails and phone numbers.

Nothing here points at a real mailbox or telephone:
- email domains end in `.example`, a top-level domain reserved for examples (RFC 2606), so a
  demo that really sends mail cannot reach anyone;
- UK telephone numbers come from the ranges Ofcom keeps for drama (mobile 07700 900xxx,
  landline 01632 960xxx, a code allocated to no area); US numbers from 555-01xx.
Towns are real and postcodes use the town's real postcode area, with made-up districts and
units; house numbers and street names are generic.
"""

import random
import re


def _words(text: str, separator: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(separator))


SURNAMES = _words(
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Patel Robinson Wright Thompson Evans "
    "Walker White Roberts Green Hall Thomas Clarke Jackson Wood Harris Edwards Turner Martin Cooper "
    "Hill Ward Hughes Moore Clark King Harrison Lewis Baker Lee Allen Morris Khan Scott Watson Davis "
    "Parker James Bennett Young Phillips Richardson Mitchell Bailey Carter Cook Singh Shaw Bell "
    "Collins Morgan Kelly Begum Miller Cox Hussain Marshall Simpson Price Anderson Adams Wilkinson "
    "Ali Ahmed Foster Ellis Murphy Chapman Mason Gray Richards Webb Griffiths Hunt Palmer Campbell "
    "Holmes Mills Rogers Barnes Knight Matthews Barker Powell Stevens Kaur Fisher Butler Dixon "
    "Russell Harvey Pearson Graham Fletcher Howard Gibson Hamilton Reid Hayes Harrington Whitfield "
    "Ashworth Pemberton Sutcliffe Fairbairn Okafor Nowak Kowalski Chen Wong Murray Doyle McDonald "
    "Fraser Lloyd Jenkins Rees Owen Byrne Quinn Sharma Mistry Chowdhury Mensah Adeyemi Rahman"
)

FIRST_NAMES = _words(
    "James Oliver Jack Harry George Thomas William Daniel Samuel Joseph Michael David Paul Mark "
    "Andrew Richard Peter Stephen Christopher Matthew Robert John Simon Gary Lee Ian Neil Craig "
    "Mohammed Arjun Ravi Tomasz Kwame Aidan Liam Connor Emma Olivia Sophie Charlotte Emily Jessica "
    "Hannah Lucy Amy Laura Sarah Rachel Claire Helen Karen Julie Nicola Joanne Louise Gemma Amelia "
    "Chloe Megan Priya Aisha Fatima Zainab Agnieszka Siobhan Niamh Grace Ellie Holly Rebecca "
    "Victoria Catherine Elizabeth Anne Susan Deborah Angela"
)

TRADES = _words(
    "Joinery|Plumbing & Heating|Electrical Services|Roofing|Scaffolding|Logistics|Haulage|Catering|"
    "Cleaning Services|Print|Signs|Engineering|Fabrications|Precision Engineering|Builders Merchants|"
    "Landscapes|Dental Care|Veterinary Practice|IT Solutions|Software|Recruitment|Security|"
    "Facilities Management|Interiors|Windows|Glazing|Flooring|Kitchens|Motors|Garage Services|Tyres|"
    "Plant Hire|Tool Hire|Packaging|Foods|Bakery|Brewing|Distillery|Wholesale|Hospitality|Hotels|"
    "Care Homes|Nurseries|Pharmacy|Opticians|Bathrooms|Steel|Timber|Metals|Plastics|Textiles|"
    "Couriers|Electrical Wholesale|Marketing|Design|Media|Events|Training|Consulting|Surveyors|"
    "Estates|Lettings|Property Services|Fire Protection|Pest Control|Waste Management|Recycling|"
    "Farm Supplies|Garden Centre|Removals|Storage|Office Supplies|Catering Equipment|Refrigeration|"
    "Air Conditioning|Lifts|Coachworks|Marine|Aggregates|Concrete|Demolition|Groundworks",
    "|",
)

PROFESSIONS = ("Solicitors", "Accountants", "Architects", "Chartered Surveyors", "Associates")

DESCRIPTORS = _words(
    "Pennine Calder Severn Mersey Tyne Thames Trent Wessex Mercia Cotswold Chiltern Mendip Solent "
    "Humber Dales Fenland Weald Northgate Westfield Eastbrook Riverside Meadow Oakwood Brookside "
    "Highfield Greenway Kingsway Castle Abbey Priory Bridge Harbour Summit Keystone Cornerstone "
    "Beacon Anchor Compass Crown Phoenix Sterling Apex Pinnacle Evergreen Bluebell Heather Kestrel "
    "Merlin Falcon Osprey Heron Swallow Redwood Willow Rowan Hawthorn Birch Linden Orchard Granite "
    "Flint Slate Copper Silverline Northern Western Central Premier Albion Britannia Caledonian "
    "Cambrian Moorland Lakeland Coastal Valley Ridge Millstone Ironbridge Foundry Wharf Canalside"
)

SUFFIXES = ("Ltd", "Ltd", "Ltd", "Ltd", "Limited", "Limited", "Ltd", "", "& Co", "Group Ltd", "PLC")

FOREIGN_SUFFIXES = {"IE": ("Limited", "DAC", "Ltd"), "NL": ("B.V.",), "DE": ("GmbH",), "US": ("Inc.", "LLC")}

STREETS = _words(
    "High Street|Station Road|Church Lane|Mill Lane|Victoria Road|Park Road|Queen Street|King Street|"
    "New Road|Albert Road|Manor Road|London Road|Green Lane|Chapel Street|Bridge Street|Market Street|"
    "North Street|Springfield Road|Grange Road|Commercial Road|Canal Street|Wharf Road|Dock Road|"
    "Foundry Lane|Forge Lane|Brewery Lane|Tannery Way|Enterprise Way|Innovation Drive|Harbour Road|"
    "Mill Road|Castle Street|Union Street|George Street|York Road|Albion Street|Water Lane|"
    "Trinity Road|Nelson Street|Cross Street",
    "|",
)

ESTATES = ("Business Park", "Industrial Estate", "Trading Estate", "Enterprise Park", "Business Centre")

TOWNS = (
    ("Leeds", "LS"), ("Manchester", "M"), ("Birmingham", "B"), ("Sheffield", "S"), ("Bristol", "BS"),
    ("Nottingham", "NG"), ("Leicester", "LE"), ("Derby", "DE"), ("Stoke-on-Trent", "ST"),
    ("Bradford", "BD"), ("Huddersfield", "HD"), ("Halifax", "HX"), ("Wakefield", "WF"), ("York", "YO"),
    ("Hull", "HU"), ("Newcastle upon Tyne", "NE"), ("Sunderland", "SR"), ("Middlesbrough", "TS"),
    ("Durham", "DH"), ("Carlisle", "CA"), ("Preston", "PR"), ("Blackburn", "BB"), ("Bolton", "BL"),
    ("Oldham", "OL"), ("Stockport", "SK"), ("Warrington", "WA"), ("Liverpool", "L"), ("Chester", "CH"),
    ("Crewe", "CW"), ("Wolverhampton", "WV"), ("Coventry", "CV"), ("Northampton", "NN"),
    ("Milton Keynes", "MK"), ("Oxford", "OX"), ("Reading", "RG"), ("Swindon", "SN"),
    ("Gloucester", "GL"), ("Cardiff", "CF"), ("Swansea", "SA"), ("Newport", "NP"), ("Exeter", "EX"),
    ("Plymouth", "PL"), ("Southampton", "SO"), ("Portsmouth", "PO"), ("Brighton", "BN"),
    ("Guildford", "GU"), ("Croydon", "CR"), ("Norwich", "NR"), ("Ipswich", "IP"), ("Cambridge", "CB"),
    ("Peterborough", "PE"), ("Lincoln", "LN"), ("Glasgow", "G"), ("Edinburgh", "EH"),
    ("Aberdeen", "AB"), ("Dundee", "DD"), ("Belfast", "BT"), ("London", "E"), ("London", "SE"),
    ("London", "N"), ("Luton", "LU"), ("Chelmsford", "CM"), ("Maidstone", "ME"), ("Canterbury", "CT"),
)  # fmt: skip

FOREIGN_TOWNS = {
    "IE": (("Dublin", "D02"), ("Cork", "T12"), ("Galway", "H91"), ("Limerick", "V94")),
    "NL": (("Rotterdam", "3011"), ("Utrecht", "3511"), ("Eindhoven", "5611")),
    "DE": (("Köln", "50667"), ("Hamburg", "20095"), ("Düsseldorf", "40213")),
    "US": (("Boston, MA", "02110"), ("Chicago, IL", "60601"), ("Austin, TX", "78701")),
}

_POSTCODE_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the inward code never uses C, I, K, M, O or V
_WORD = re.compile(r"[A-Za-z]+")


def person_name(rng: random.Random) -> tuple[str, str]:
    """A (first name, surname) pair."""
    return rng.choice(FIRST_NAMES), rng.choice(SURNAMES)


def company_name(rng: random.Random, country: str = "GB") -> str:
    """A trading name such as 'Harrington Joinery Ltd' or 'Hughes & Doyle LLP'."""
    pattern = rng.random()
    if pattern < 0.08:
        name = f"{rng.choice(SURNAMES)} & {rng.choice(SURNAMES)} {rng.choice(PROFESSIONS)}"
        suffix = "LLP" if country == "GB" else ""
    else:
        if pattern < 0.40:
            head = rng.choice(SURNAMES)
        elif pattern < 0.48:
            head = f"{rng.choice(SURNAMES)} & Sons"
        else:
            head = rng.choice(DESCRIPTORS)
        name = f"{head} {rng.choice(TRADES)}"
        suffix = rng.choice(SUFFIXES) if country == "GB" else rng.choice(FOREIGN_SUFFIXES[country])
    return f"{name} {suffix}".strip()


def creditor_name(rng: random.Random) -> str:
    """An SME trading name for a creditor, e.g. 'Pennine Fabrications Ltd'."""
    head = rng.choice(DESCRIPTORS) if rng.random() < 0.7 else rng.choice(SURNAMES)
    return f"{head} {rng.choice(TRADES)} {rng.choice(('Ltd', 'Limited'))}"


def sole_trader_name(rng: random.Random) -> tuple[str, str, str]:
    """(name, first name, surname) of an individual or sole trader, e.g. 'Ravi Patel t/a Patel Roofing'."""
    first, last = person_name(rng)
    if rng.random() < 0.6:
        return f"{first} {last} t/a {last} {rng.choice(TRADES)}", first, last
    title = rng.choice(("Mr", "Mrs", "Ms", "Dr")) if rng.random() < 0.5 else ""
    return f"{title} {first} {last}".strip(), first, last


def account_prefix(name: str) -> str:
    """Letters a ledger uses to start an account code, Sage style: 'Harrington Joinery' -> 'HARRI'."""
    words = [w for w in _WORD.findall(name) if w.lower() not in {"the", "mr", "mrs", "ms", "dr", "and"}]
    letters = "".join(words).upper()
    return (letters[:5] or "ACCT").ljust(3, "X")


def domain_for(name: str) -> str:
    """A mail domain under the reserved `.example` top-level domain, from a trading name."""
    words = [
        w.lower() for w in _WORD.findall(name) if w.lower() not in {"ltd", "limited", "plc", "llp", "co"}
    ]
    return "".join(words[:3])[:40] + ".example"


def mailbox(rng: random.Random, first: str, last: str, domain: str) -> str:
    """An email address at `domain`: a shared accounts mailbox or a person's address."""
    if rng.random() < 0.55:
        local = rng.choice(("accounts", "accounts.payable", "finance", "purchaseledger", "invoices", "ap"))
    else:
        local = f"{first}.{last}".lower()
    return f"{re.sub(r'[^a-z0-9.]', '', local)}@{domain}"


def phone_number(rng: random.Random, country: str = "GB") -> str:
    """A telephone number from a range kept for fiction (Ofcom drama numbers; US 555-01xx)."""
    if country == "US":
        return f"+1 617 555 01{rng.randint(0, 99):02d}"
    if rng.random() < 0.4:
        return f"07700 900{rng.randint(0, 999):03d}"
    return f"01632 960{rng.randint(0, 999):03d}"


def postcode(rng: random.Random, area: str) -> str:
    """A UK postcode in `area` ('LS' -> 'LS12 4QT'); district and unit are made up."""
    district = rng.randint(1, 28 if len(area) == 1 else 9)
    unit = rng.choice(_POSTCODE_UNIT_LETTERS) + rng.choice(_POSTCODE_UNIT_LETTERS)
    return f"{area}{district} {rng.randint(0, 9)}{unit}"


def address(rng: random.Random, country: str = "GB") -> tuple[tuple[str, ...], str]:
    """(address lines, postcode) for a business address in `country`."""
    if country != "GB":
        town, code = rng.choice(FOREIGN_TOWNS[country])
        street = f"{rng.randint(1, 220)} {rng.choice(('Main Street', 'Harbour Road', 'Park Avenue'))}"
        if country == "IE":
            unit = "".join(rng.choice(_POSTCODE_UNIT_LETTERS + "0123456789") for _ in range(4))
            return (street, town), f"{code} {unit}"
        return (street, town), code
    town, area = rng.choice(TOWNS)
    if rng.random() < 0.35:
        lines: tuple[str, ...] = (
            f"Unit {rng.randint(1, 40)}",
            f"{rng.choice(DESCRIPTORS)} {rng.choice(ESTATES)}",
            town,
        )
    else:
        lines = (f"{rng.randint(1, 250)} {rng.choice(STREETS)}", town)
    return lines, postcode(rng, area)
