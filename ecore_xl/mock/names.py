"""Fictional but plausible German/Austrian names for the synthetic portfolio."""

from __future__ import annotations

from typing import NamedTuple


class Site(NamedTuple):
    name: str
    street: str
    postal_code: str
    city: str
    grid_operator: str
    gas_operator: str


class Company(NamedTuple):
    name: str
    short: str
    country: str
    sites: tuple[Site, ...]


COMPANIES: tuple[Company, ...] = (
    Company(
        "Ruhrtal Stahlguss GmbH",
        "Ruhrtal",
        "DE",
        (
            Site(
                "Werk Duisburg",
                "Hüttenstraße 12",
                "47166",
                "Duisburg",
                "Westnetz Verteilnetz GmbH",
                "Rheinland Gasnetz GmbH",
            ),
            Site(
                "Werk Mülheim",
                "Am Walzwerk 3",
                "45478",
                "Mülheim an der Ruhr",
                "Ruhrstrom Netz GmbH",
                "Rheinland Gasnetz GmbH",
            ),
            Site(
                "Logistikzentrum Hamm",
                "Hafenweg 88",
                "59067",
                "Hamm",
                "Westnetz Verteilnetz GmbH",
                "Westfalen Gasnetz GmbH",
            ),
        ),
    ),
    Company(
        "Nordheide Papierwerke AG",
        "Nordheide",
        "DE",
        (
            Site(
                "Papierfabrik Lüneburg",
                "Ilmenauufer 5",
                "21339",
                "Lüneburg",
                "Heide Netz GmbH",
                "Heide Gasnetz GmbH",
            ),
            Site(
                "Veredelung Uelzen",
                "Zuckerfabrikstraße 21",
                "29525",
                "Uelzen",
                "Heide Netz GmbH",
                "Heide Gasnetz GmbH",
            ),
        ),
    ),
    Company(
        "Donautal Metallverarbeitung GmbH",
        "Donautal",
        "AT",
        (
            Site(
                "Werk Linz",
                "Industriezeile 47",
                "4020",
                "Linz",
                "Netz Oberösterreich Nord GmbH",
                "Netz Oberösterreich Gas GmbH",
            ),
            Site(
                "Werk Steyr",
                "Ennser Straße 102",
                "4400",
                "Steyr",
                "Netz Oberösterreich Nord GmbH",
                "Netz Oberösterreich Gas GmbH",
            ),
        ),
    ),
    Company(
        "Schwabenform Kunststofftechnik GmbH",
        "Schwabenform",
        "DE",
        (
            Site(
                "Werk Reutlingen",
                "Gutenbergstraße 30",
                "72764",
                "Reutlingen",
                "Neckar-Alb Netze GmbH",
                "Neckar-Alb Gasnetze GmbH",
            ),
            Site(
                "Werk Metzingen",
                "Kelternweg 9",
                "72555",
                "Metzingen",
                "Neckar-Alb Netze GmbH",
                "Neckar-Alb Gasnetze GmbH",
            ),
            Site(
                "Verwaltung Stuttgart",
                "Königsallee 140",
                "70173",
                "Stuttgart",
                "Stuttgarter Stromnetz GmbH",
                "Stuttgarter Gasnetz GmbH",
            ),
        ),
    ),
)

POWER_SUPPLIERS: tuple[str, ...] = (
    "Stadtwerke Rheinfeld Energie GmbH",
    "Nordstrom Handel AG",
    "Süddeutsche Energievertrieb GmbH",
    "Westfalen Strom & Gas GmbH",
    "Alpenländische Energie AG",
)
GAS_SUPPLIERS: tuple[str, ...] = (
    "Westfalen Strom & Gas GmbH",
    "Hanse Erdgas Vertrieb GmbH",
    "Stadtwerke Rheinfeld Energie GmbH",
    "Alpenländische Energie AG",
)

POWER_METER_LABELS: tuple[str, ...] = (
    "Hauptzähler",
    "Halle 2",
    "Druckluftstation",
    "Schmelzbetrieb",
    "Kälteanlage",
    "Bürogebäude",
    "Halle 5",
    "Pressenstraße",
)
GAS_METER_LABELS: tuple[str, ...] = ("Kesselhaus", "Trocknung", "Härterei", "Heizzentrale")
