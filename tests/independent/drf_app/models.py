from django.db import models


class Item(models.Model):
    """One listed record: every column the filters and the sort keys use, with repeated values (ties and
    categories) and a nullable one (what `exclude` keeps)."""

    name = models.CharField(max_length=60)
    category = models.CharField(max_length=20)
    quantity = models.IntegerField()
    price = models.DecimalField(max_digits=8, decimal_places=2)
    created = models.DateTimeField()
    color = models.CharField(max_length=20, null=True)

    class Meta:
        app_label = "items"
