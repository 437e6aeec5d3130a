"""Fill a separate database with a large synthetic catalogue, to measure search at scale.

The real reference holds a few dozen codes; a department's full catalogue holds many
thousands. This command builds a benchmark database of the real content plus `--count`
synthetic codes with realistic titles, text, nerves, specialties, modifiers and places of
service. It refuses to write to the site's own database, and every synthetic code sits
under a section named "Synthetic catalogue", so it can never pass for real content.
"""

import random
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction
from django.test.utils import override_settings

from codes.models import (
    CodeModifier,
    CodeProcedure,
    CodeStatus,
    EditorialState,
    Modifier,
    Nerve,
    PlaceOfService,
    Section,
    Specialty,
)
from cptsite.database import database_from_url

ALIAS = "synthetic"
BATCH = 2000
ROOT_SLUG = "synthetic-catalogue"

# One body system per first digit of the code, as CPT groups its surgery codes, so a word
# like "nerve" or "graft" matches a realistic share of the catalogue, not all of it.
SYSTEMS = [
    ("Integumentary", ["skin of the scalp", "skin of the trunk", "nail bed", "breast",
                       "soft tissue of the hand", "pilonidal cyst"]),
    ("Musculoskeletal", ["femur", "tibia", "radius", "humerus", "clavicle", "patella",
                         "hip joint", "knee joint", "shoulder joint", "lumbar spine"]),
    ("Respiratory", ["nasal septum", "maxillary sinus", "larynx", "trachea", "bronchus",
                     "lung", "pleura"]),
    ("Cardiovascular", ["aortic valve", "mitral valve", "coronary artery", "carotid artery",
                        "femoral artery", "saphenous vein", "pacemaker pocket"]),
    ("Digestive", ["tonsil", "oesophagus", "stomach", "small intestine", "colon", "rectum",
                   "appendix", "gallbladder", "liver", "pancreas"]),
    ("Urinary", ["kidney", "ureter", "bladder", "urethra", "prostate"]),
    ("Genital", ["uterus", "ovary", "testis", "cervix", "vulva"]),
    ("Endocrine", ["thyroid gland", "parathyroid gland", "adrenal gland", "thymus"]),
    ("Nervous", ["digital nerve", "median nerve", "ulnar nerve", "radial nerve",
                 "sciatic nerve", "tibial nerve", "peroneal nerve", "facial nerve",
                 "brachial plexus", "intercostal nerve", "sural nerve", "occipital nerve"]),
    ("Eye and ear", ["cornea", "lens", "retina", "eyelid", "middle ear", "eardrum",
                     "cochlea", "lacrimal duct"]),
]  # fmt: skip
ACTIONS = [
    "Repair", "Excision", "Incision and drainage", "Biopsy", "Removal", "Reconstruction",
    "Revision", "Exploration", "Resection", "Insertion of a device", "Fixation",
    "Destruction", "Endoscopy", "Injection", "Release", "Suture",
]  # fmt: skip
QUALIFIERS = [
    "open approach", "endoscopic", "laparoscopic", "percutaneous", "each additional",
    "complex", "simple", "with graft", "without graft", "bilateral", "first stage",
    "second stage", "up to 4 cm", "more than 4 cm", "with imaging guidance",
]  # fmt: skip
REASONS = [
    "an injury", "a tumour", "an infection", "a blockage", "a deformity", "chronic pain",
    "bleeding", "a failed earlier procedure", "scar tissue", "compression",
]  # fmt: skip


class Command(BaseCommand):
    help = (
        "Build a benchmark database: the real reference content plus COUNT synthetic "
        "codes. Never the site's own database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=100_000)
        parser.add_argument(
            "--database-url",
            required=True,
            help="Where to build the catalogue, e.g. sqlite:///var/bench/catalog.sqlite3.",
        )
        parser.add_argument("--seed", type=int, default=64868, help="Random seed.")

    def handle(self, *args, count, database_url, seed, verbosity, **options):
        self.verbosity = verbosity
        if count < 1 or count > 129_000:
            raise CommandError("--count must be between 1 and 129,000 (the code space).")
        config = database_from_url(database_url, "--database-url")
        if same_database(config, settings.DATABASES["default"]):
            raise CommandError(
                "Refusing to write synthetic codes into the site's own database; "
                "give a separate --database-url."
            )
        if config["ENGINE"] == "django.db.backends.sqlite3":
            Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        # Register the benchmark database beside the default one, for this process only.
        connections.settings[ALIAS] = connections.configure_settings(
            {"default": settings.DATABASES["default"], ALIAS: config}
        )[ALIAS]

        call_command("migrate", database=ALIAS, verbosity=0)
        # Benchmark rows have no editors, so no history: it would only slow the load, and
        # django-simple-history writes many-to-many history to the default database.
        with override_settings(SIMPLE_HISTORY_ENABLED=False):
            call_command("load_reference_data", database=ALIAS, verbosity=0)
            rng = random.Random(seed)
            with transaction.atomic(using=ALIAS):
                removed = self.remove_previous()
                created = self.generate(count, rng)
        if connections[ALIAS].vendor == "postgresql":
            # A bulk load leaves PostgreSQL's statistics stale and its tables full of the
            # rows the triggers replaced, until autovacuum comes round; measure the tables
            # as a running site would have them.
            with connections[ALIAS].cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        # And, as an operator should after any bulk import, the search index compacted
        # (vacuum makes the replaced rows' space reusable but keeps the tables' size).
        call_command("compact_search_index", database=ALIAS, verbosity=0)
        self.stdout.write(
            self.style.SUCCESS(
                f"Synthetic catalogue at {database_url}: removed {removed} old synthetic "
                f"codes, created {created}."
            )
        )

    def remove_previous(self):
        codes = CodeProcedure.objects.using(ALIAS).filter(section__parent__slug=ROOT_SLUG)
        removed, _ = codes.delete()
        return removed

    def sections(self):
        root, _ = Section.objects.using(ALIAS).get_or_create(
            slug=ROOT_SLUG,
            defaults={
                "name": "Synthetic catalogue (benchmark data, not real codes)",
                "range_start": "00000",
                "range_end": "9999U",
            },
        )
        blocks = {}
        for block, (system, _) in enumerate(SYSTEMS):
            blocks[str(block)], _ = Section.objects.using(ALIAS).get_or_create(
                slug=f"{ROOT_SLUG}-{block}",
                defaults={
                    "name": f"Synthetic {system.lower()} procedures",
                    "parent": root,
                    "range_start": f"{block}0000",
                    "range_end": f"{block}999U",
                },
            )
        return blocks

    def code_space(self, count, rng):
        taken = set(CodeProcedure.objects.using(ALIAS).values_list("code", flat=True))
        digits = (f"{n:05d}" for n in range(100_000))
        tracking = (f"{n:04d}{letter}" for letter in "TFU" for n in range(10_000))
        free = [code for code in (*digits, *tracking) if code not in taken]
        return sorted(rng.sample(free, min(count, len(free))))

    def generate(self, count, rng):
        blocks = self.sections()
        nerves = list(Nerve.objects.using(ALIAS).all())
        specialties = list(Specialty.objects.using(ALIAS).all())
        modifiers = list(Modifier.objects.using(ALIAS).all())
        places = list(PlaceOfService.objects.using(ALIAS).all())
        created = 0
        codes = self.code_space(count, rng)
        for start in range(0, len(codes), BATCH):
            batch = [
                self.synthetic_code(code, blocks, rng) for code in codes[start : start + BATCH]
            ]
            CodeProcedure.objects.using(ALIAS).bulk_create(batch)
            saved = CodeProcedure.objects.using(ALIAS).filter(
                code__in=[code.code for code in batch]
            )
            nerve_links, specialty_links, place_links, modifier_links = [], [], [], []
            for code in saved.only("id", "is_add_on"):
                for nerve in rng.sample(nerves, rng.randint(0, 2)):
                    nerve_links.append(
                        CodeProcedure.nerves.through(codeprocedure_id=code.id, nerve_id=nerve.id)
                    )
                for specialty in rng.sample(specialties, rng.randint(0, 2)):
                    specialty_links.append(
                        CodeProcedure.specialties.through(
                            codeprocedure_id=code.id, specialty_id=specialty.id
                        )
                    )
                for place in rng.sample(places, rng.randint(0, 2)):
                    place_links.append(
                        CodeProcedure.places_of_service.through(
                            codeprocedure_id=code.id, placeofservice_id=place.id
                        )
                    )
                for modifier in rng.sample(modifiers, rng.randint(0, 3)):
                    modifier_links.append(
                        CodeModifier(
                            code_id=code.id,
                            modifier_id=modifier.id,
                            note=f"May apply when {rng.choice(REASONS)} changes the work.",
                        )
                    )
            CodeProcedure.nerves.through.objects.using(ALIAS).bulk_create(nerve_links)
            CodeProcedure.specialties.through.objects.using(ALIAS).bulk_create(specialty_links)
            CodeProcedure.places_of_service.through.objects.using(ALIAS).bulk_create(place_links)
            CodeModifier.objects.using(ALIAS).bulk_create(modifier_links)
            created += len(batch)
            if self.verbosity >= 2:
                self.stdout.write(f"{created} codes")
        return created

    def synthetic_code(self, code, blocks, rng):
        _, structures = SYSTEMS[int(code[0])]
        action, structure = rng.choice(ACTIONS), rng.choice(structures)
        qualifier, reason = rng.choice(QUALIFIERS), rng.choice(REASONS)
        is_add_on = qualifier == "each additional"
        return CodeProcedure(
            code=code,
            title=f"{action} of the {structure}, {qualifier}",
            summary=f"{action} of the {structure} ({qualifier}) to treat {reason}.",
            plain_language=(
                f"The surgeon works on the {structure} to treat {reason}. "
                "This is a synthetic benchmark entry, not a real code."
            ),
            procedure_description=(
                f"- The {structure} is reached by the chosen approach.\n"
                f"- The {action.lower()} is completed.\n- The wound is closed."
            ),
            medical_necessity=f"Symptoms or loss of function from {reason}.",
            documentation="The cause, the approach and the findings in the operative note.",
            section=blocks[code[0]],
            status=CodeStatus.DELETED if rng.random() < 0.02 else CodeStatus.ACTIVE,
            editorial_state=(
                EditorialState.DRAFT if rng.random() < 0.03 else EditorialState.PUBLISHED
            ),
            is_add_on=is_add_on,
            global_period="ZZZ" if is_add_on else rng.choice(["", "000", "010", "090"]),
        )


def database_identity(config):
    """Return what tells two database settings apart (a SQLite file by its real path)."""
    name = config.get("NAME")
    if config["ENGINE"].endswith("sqlite3") and name:
        name = str(Path(name).resolve())
    return (config["ENGINE"], name, config.get("HOST") or "", str(config.get("PORT") or ""))


def same_database(one, other):
    return database_identity(one) == database_identity(other)
