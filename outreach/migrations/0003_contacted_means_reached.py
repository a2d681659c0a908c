"""A list customer counts as contacted (ListAssignment.first_contact_on, what coverage counts) once reached:
any outcome but 未接通. Until now the first contact of any outcome set it, so a customer only called without
an answer was counted covered and left the person's 待联系. This puts the day right on the rows that had a
未接通: the day of the first contact that reached them, or none (still to contact).

The facts already written (outreach_contacted, and the coverage and conversion computed from it) are
added up again by the nightly outreach facts for the last week (outreach.tasks.outreach_facts_nightly);
older days by outreach.tasks.outreach_facts with their dates."""

from django.db import migrations
from django.db.models import Exists, OuterRef, Subquery

NO_ANSWER = "no_answer"


def first_reached(apps, schema_editor):
    ListAssignment = apps.get_model("outreach", "ListAssignment")
    Contact = apps.get_model("outreach", "Contact")
    unanswered = Contact.objects.filter(assignment=OuterRef("pk"), outcome=NO_ANSWER)
    reached = (
        Contact.objects.filter(assignment=OuterRef("pk")).exclude(outcome=NO_ANSWER).order_by("day").values("day")[:1]
    )
    ListAssignment.objects.exclude(first_contact_on=None).filter(Exists(unanswered)).update(
        first_contact_on=Subquery(reached)
    )


class Migration(migrations.Migration):
    dependencies = [("outreach", "0002_outreach_metrics")]
    operations = [migrations.RunPython(first_reached, migrations.RunPython.noop)]
