"""The local authorities a study may receive returns from (DfE three-digit LA codes).

``ENGLISH_LOCAL_AUTHORITIES`` lists the 153 English LAs with children's services as they stand
since April 2023 (after Dorset and BCP in 2019, the Northamptonshire split in 2021 and the
Cumbria split in 2023), by region and code; ``NWD_LOCAL_AUTHORITIES`` the five of the No Wrong
Door study. A slug is the LA's name as it appears in file names: lower case, ``_`` for spaces.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LocalAuthority:
    code: str  # DfE LA code, kept as text
    name: str
    slug: str  # as it appears in file names, e.g. rochdale_dr2_nov20.xlsx
    region: str


NWD_LOCAL_AUTHORITIES = (
    LocalAuthority("354", "Rochdale", "rochdale", "North West"),
    LocalAuthority("807", "Redcar and Cleveland", "redcar", "North East"),
    LocalAuthority("877", "Warrington", "warrington", "North West"),
    LocalAuthority("926", "Norfolk", "norfolk", "East of England"),
    LocalAuthority("856", "Leicester", "leicester", "East Midlands"),
)


_NE, _NW, _YH = "North East", "North West", "Yorkshire and the Humber"
_EM, _WM, _EE = "East Midlands", "West Midlands", "East of England"
_LONDON, _SE, _SW = "London", "South East", "South West"

ENGLISH_LOCAL_AUTHORITIES = (
    # North East
    LocalAuthority("390", "Gateshead", "gateshead", _NE),
    LocalAuthority("391", "Newcastle upon Tyne", "newcastle_upon_tyne", _NE),
    LocalAuthority("392", "North Tyneside", "north_tyneside", _NE),
    LocalAuthority("393", "South Tyneside", "south_tyneside", _NE),
    LocalAuthority("394", "Sunderland", "sunderland", _NE),
    LocalAuthority("805", "Hartlepool", "hartlepool", _NE),
    LocalAuthority("806", "Middlesbrough", "middlesbrough", _NE),
    LocalAuthority("807", "Redcar and Cleveland", "redcar", _NE),
    LocalAuthority("808", "Stockton-on-Tees", "stockton_on_tees", _NE),
    LocalAuthority("840", "County Durham", "county_durham", _NE),
    LocalAuthority("841", "Darlington", "darlington", _NE),
    LocalAuthority("929", "Northumberland", "northumberland", _NE),
    # North West
    LocalAuthority("340", "Knowsley", "knowsley", _NW),
    LocalAuthority("341", "Liverpool", "liverpool", _NW),
    LocalAuthority("342", "St. Helens", "st_helens", _NW),
    LocalAuthority("343", "Sefton", "sefton", _NW),
    LocalAuthority("344", "Wirral", "wirral", _NW),
    LocalAuthority("350", "Bolton", "bolton", _NW),
    LocalAuthority("351", "Bury", "bury", _NW),
    LocalAuthority("352", "Manchester", "manchester", _NW),
    LocalAuthority("353", "Oldham", "oldham", _NW),
    LocalAuthority("354", "Rochdale", "rochdale", _NW),
    LocalAuthority("355", "Salford", "salford", _NW),
    LocalAuthority("356", "Stockport", "stockport", _NW),
    LocalAuthority("357", "Tameside", "tameside", _NW),
    LocalAuthority("358", "Trafford", "trafford", _NW),
    LocalAuthority("359", "Wigan", "wigan", _NW),
    LocalAuthority("876", "Halton", "halton", _NW),
    LocalAuthority("877", "Warrington", "warrington", _NW),
    LocalAuthority("888", "Lancashire", "lancashire", _NW),
    LocalAuthority("889", "Blackburn with Darwen", "blackburn_with_darwen", _NW),
    LocalAuthority("890", "Blackpool", "blackpool", _NW),
    LocalAuthority("895", "Cheshire East", "cheshire_east", _NW),
    LocalAuthority("896", "Cheshire West and Chester", "cheshire_west_and_chester", _NW),
    LocalAuthority("942", "Cumberland", "cumberland", _NW),
    LocalAuthority("943", "Westmorland and Furness", "westmorland_and_furness", _NW),
    # Yorkshire and the Humber
    LocalAuthority("370", "Barnsley", "barnsley", _YH),
    LocalAuthority("371", "Doncaster", "doncaster", _YH),
    LocalAuthority("372", "Rotherham", "rotherham", _YH),
    LocalAuthority("373", "Sheffield", "sheffield", _YH),
    LocalAuthority("380", "Bradford", "bradford", _YH),
    LocalAuthority("381", "Calderdale", "calderdale", _YH),
    LocalAuthority("382", "Kirklees", "kirklees", _YH),
    LocalAuthority("383", "Leeds", "leeds", _YH),
    LocalAuthority("384", "Wakefield", "wakefield", _YH),
    LocalAuthority("810", "Kingston upon Hull, City of", "kingston_upon_hull", _YH),
    LocalAuthority("811", "East Riding of Yorkshire", "east_riding_of_yorkshire", _YH),
    LocalAuthority("812", "North East Lincolnshire", "north_east_lincolnshire", _YH),
    LocalAuthority("813", "North Lincolnshire", "north_lincolnshire", _YH),
    LocalAuthority("815", "North Yorkshire", "north_yorkshire", _YH),
    LocalAuthority("816", "York", "york", _YH),
    # East Midlands
    LocalAuthority("830", "Derbyshire", "derbyshire", _EM),
    LocalAuthority("831", "Derby", "derby", _EM),
    LocalAuthority("855", "Leicestershire", "leicestershire", _EM),
    LocalAuthority("856", "Leicester", "leicester", _EM),
    LocalAuthority("857", "Rutland", "rutland", _EM),
    LocalAuthority("891", "Nottinghamshire", "nottinghamshire", _EM),
    LocalAuthority("892", "Nottingham", "nottingham", _EM),
    LocalAuthority("925", "Lincolnshire", "lincolnshire", _EM),
    LocalAuthority("940", "North Northamptonshire", "north_northamptonshire", _EM),
    LocalAuthority("941", "West Northamptonshire", "west_northamptonshire", _EM),
    # West Midlands
    LocalAuthority("330", "Birmingham", "birmingham", _WM),
    LocalAuthority("331", "Coventry", "coventry", _WM),
    LocalAuthority("332", "Dudley", "dudley", _WM),
    LocalAuthority("333", "Sandwell", "sandwell", _WM),
    LocalAuthority("334", "Solihull", "solihull", _WM),
    LocalAuthority("335", "Walsall", "walsall", _WM),
    LocalAuthority("336", "Wolverhampton", "wolverhampton", _WM),
    LocalAuthority("860", "Staffordshire", "staffordshire", _WM),
    LocalAuthority("861", "Stoke-on-Trent", "stoke_on_trent", _WM),
    LocalAuthority("884", "Herefordshire, County of", "herefordshire", _WM),
    LocalAuthority("885", "Worcestershire", "worcestershire", _WM),
    LocalAuthority("893", "Shropshire", "shropshire", _WM),
    LocalAuthority("894", "Telford and Wrekin", "telford_and_wrekin", _WM),
    LocalAuthority("937", "Warwickshire", "warwickshire", _WM),
    # East of England
    LocalAuthority("821", "Luton", "luton", _EE),
    LocalAuthority("822", "Bedford", "bedford", _EE),
    LocalAuthority("823", "Central Bedfordshire", "central_bedfordshire", _EE),
    LocalAuthority("873", "Cambridgeshire", "cambridgeshire", _EE),
    LocalAuthority("874", "Peterborough", "peterborough", _EE),
    LocalAuthority("881", "Essex", "essex", _EE),
    LocalAuthority("882", "Southend-on-Sea", "southend_on_sea", _EE),
    LocalAuthority("883", "Thurrock", "thurrock", _EE),
    LocalAuthority("919", "Hertfordshire", "hertfordshire", _EE),
    LocalAuthority("926", "Norfolk", "norfolk", _EE),
    LocalAuthority("935", "Suffolk", "suffolk", _EE),
    # London
    LocalAuthority("201", "City of London", "city_of_london", _LONDON),
    LocalAuthority("202", "Camden", "camden", _LONDON),
    LocalAuthority("203", "Greenwich", "greenwich", _LONDON),
    LocalAuthority("204", "Hackney", "hackney", _LONDON),
    LocalAuthority("205", "Hammersmith and Fulham", "hammersmith_and_fulham", _LONDON),
    LocalAuthority("206", "Islington", "islington", _LONDON),
    LocalAuthority("207", "Kensington and Chelsea", "kensington_and_chelsea", _LONDON),
    LocalAuthority("208", "Lambeth", "lambeth", _LONDON),
    LocalAuthority("209", "Lewisham", "lewisham", _LONDON),
    LocalAuthority("210", "Southwark", "southwark", _LONDON),
    LocalAuthority("211", "Tower Hamlets", "tower_hamlets", _LONDON),
    LocalAuthority("212", "Wandsworth", "wandsworth", _LONDON),
    LocalAuthority("213", "Westminster", "westminster", _LONDON),
    LocalAuthority("301", "Barking and Dagenham", "barking_and_dagenham", _LONDON),
    LocalAuthority("302", "Barnet", "barnet", _LONDON),
    LocalAuthority("303", "Bexley", "bexley", _LONDON),
    LocalAuthority("304", "Brent", "brent", _LONDON),
    LocalAuthority("305", "Bromley", "bromley", _LONDON),
    LocalAuthority("306", "Croydon", "croydon", _LONDON),
    LocalAuthority("307", "Ealing", "ealing", _LONDON),
    LocalAuthority("308", "Enfield", "enfield", _LONDON),
    LocalAuthority("309", "Haringey", "haringey", _LONDON),
    LocalAuthority("310", "Harrow", "harrow", _LONDON),
    LocalAuthority("311", "Havering", "havering", _LONDON),
    LocalAuthority("312", "Hillingdon", "hillingdon", _LONDON),
    LocalAuthority("313", "Hounslow", "hounslow", _LONDON),
    LocalAuthority("314", "Kingston upon Thames", "kingston_upon_thames", _LONDON),
    LocalAuthority("315", "Merton", "merton", _LONDON),
    LocalAuthority("316", "Newham", "newham", _LONDON),
    LocalAuthority("317", "Redbridge", "redbridge", _LONDON),
    LocalAuthority("318", "Richmond upon Thames", "richmond_upon_thames", _LONDON),
    LocalAuthority("319", "Sutton", "sutton", _LONDON),
    LocalAuthority("320", "Waltham Forest", "waltham_forest", _LONDON),
    # South East
    LocalAuthority("825", "Buckinghamshire", "buckinghamshire", _SE),
    LocalAuthority("826", "Milton Keynes", "milton_keynes", _SE),
    LocalAuthority("845", "East Sussex", "east_sussex", _SE),
    LocalAuthority("846", "Brighton and Hove", "brighton_and_hove", _SE),
    LocalAuthority("850", "Hampshire", "hampshire", _SE),
    LocalAuthority("851", "Portsmouth", "portsmouth", _SE),
    LocalAuthority("852", "Southampton", "southampton", _SE),
    LocalAuthority("867", "Bracknell Forest", "bracknell_forest", _SE),
    LocalAuthority("868", "Windsor and Maidenhead", "windsor_and_maidenhead", _SE),
    LocalAuthority("869", "West Berkshire", "west_berkshire", _SE),
    LocalAuthority("870", "Reading", "reading", _SE),
    LocalAuthority("871", "Slough", "slough", _SE),
    LocalAuthority("872", "Wokingham", "wokingham", _SE),
    LocalAuthority("886", "Kent", "kent", _SE),
    LocalAuthority("887", "Medway", "medway", _SE),
    LocalAuthority("921", "Isle of Wight", "isle_of_wight", _SE),
    LocalAuthority("931", "Oxfordshire", "oxfordshire", _SE),
    LocalAuthority("936", "Surrey", "surrey", _SE),
    LocalAuthority("938", "West Sussex", "west_sussex", _SE),
    # South West
    LocalAuthority("420", "Isles of Scilly", "isles_of_scilly", _SW),
    LocalAuthority("800", "Bath and North East Somerset", "bath_and_north_east_somerset", _SW),
    LocalAuthority("801", "Bristol, City of", "bristol", _SW),
    LocalAuthority("802", "North Somerset", "north_somerset", _SW),
    LocalAuthority("803", "South Gloucestershire", "south_gloucestershire", _SW),
    LocalAuthority("838", "Dorset", "dorset", _SW),
    LocalAuthority(
        "839", "Bournemouth, Christchurch and Poole", "bournemouth_christchurch_and_poole", _SW
    ),
    LocalAuthority("865", "Wiltshire", "wiltshire", _SW),
    LocalAuthority("866", "Swindon", "swindon", _SW),
    LocalAuthority("878", "Devon", "devon", _SW),
    LocalAuthority("879", "Plymouth", "plymouth", _SW),
    LocalAuthority("880", "Torbay", "torbay", _SW),
    LocalAuthority("908", "Cornwall", "cornwall", _SW),
    LocalAuthority("916", "Gloucestershire", "gloucestershire", _SW),
    LocalAuthority("933", "Somerset", "somerset", _SW),
)
ENGLISH_REGIONS = (_NE, _NW, _YH, _EM, _WM, _EE, _LONDON, _SE, _SW)


def english_local_authority(code: str) -> LocalAuthority | None:
    """The English LA with DfE code ``code``, if there is one."""
    return _BY_CODE.get(code)


_BY_CODE = {la.code: la for la in ENGLISH_LOCAL_AUTHORITIES}
