"""Deterministic, realistic sample events for the landing folder (shared/EVENTS.md).

The events imitate the source systems of Lào Cai province behind the seed reports
(shared/seeds/000_…: 9 months of 2023, appendices 01, 02, 03; 003_…: appendix 01.2), and tell
what happened to them after: 2022 to October 2026, with the 2025 reorganisation. The seed's
tables are data (sample/data/*.csv); the modules simulate and deliver them:

- portals:      the registry of both provinces (Yên Bái's from 2024) and its lineage (1 March
                and 1 July 2025);
- posts, questions, dossiers, assessments: each stream's simulation;
- channels:     the other channels' monthly measurements (v1.1), simulated and delivered;
- files, planted, deliver: how the sources write their files, the bad records they let through,
  and which files each stream comes in, when.

2022 and 2023 follow the seed report as closely as before the sample grew: Lào Cai's registry,
posts, questions, dossiers and assessments there come from the same random streams in the same
order, so the appendices of 2023-9M come out as the seed prints them.
"""

from sample.deliver import DEFAULT_SEED, GenerateSummary, dossier_events, generate, portal_registry

__all__ = ["DEFAULT_SEED", "GenerateSummary", "dossier_events", "generate", "portal_registry"]
