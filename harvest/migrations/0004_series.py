"""Timeseries by series: (connection, feature, parameter) become a Series row and each measurement
refers to it, keyed by (series, timestamp). Existing measurements are carried over."""

import django.db.models.deletion
from django.db import migrations, models


def _rename_legacy_pkey(apps, schema_editor):
    # PostgreSQL keeps an index's name when its table is renamed: free the new table's pkey name.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER INDEX IF EXISTS harvest_measurement_pkey RENAME TO harvest_legacymeasurement_pkey")


def _carry_over(apps, schema_editor):
    schema_editor.execute(
        "INSERT INTO harvest_series (data_connection_id, feature_key, parameter, newest_time) "
        'SELECT data_connection_id, feature_key, parameter, max("timestamp") FROM harvest_legacymeasurement '
        "GROUP BY data_connection_id, feature_key, parameter"
    )
    schema_editor.execute(
        'INSERT INTO harvest_measurement (series_id, "timestamp", value) '
        'SELECT s.id, m."timestamp", m.value FROM harvest_legacymeasurement m JOIN harvest_series s '
        "ON s.data_connection_id = m.data_connection_id AND s.feature_key = m.feature_key "
        'AND s.parameter = m.parameter ORDER BY s.id, m."timestamp"'
    )


def _carry_back(apps, schema_editor):
    schema_editor.execute(
        'INSERT INTO harvest_legacymeasurement (data_connection_id, feature_key, parameter, "timestamp", value) '
        'SELECT s.data_connection_id, s.feature_key, s.parameter, m."timestamp", m.value '
        "FROM harvest_measurement m JOIN harvest_series s ON s.id = m.series_id"
    )


def _rename_legacy_pkey_back(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER INDEX IF EXISTS harvest_legacymeasurement_pkey RENAME TO harvest_measurement_pkey")


class Migration(migrations.Migration):
    dependencies = [
        ("harvest", "0003_harvest_runs"),
        ("synctasks", "0004_calculation_inputs"),
    ]

    operations = [
        migrations.CreateModel(
            name="Series",
            fields=[
                ("id", models.AutoField(primary_key=True, serialize=False)),
                ("feature_key", models.CharField(max_length=255)),
                ("parameter", models.CharField(max_length=255)),
                ("newest_time", models.DateTimeField(blank=True, null=True)),
                (
                    "data_connection",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="series",
                        to="synctasks.dataconnection",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "series",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("data_connection", "feature_key", "parameter"), name="series_unique_key"
                    )
                ],
            },
        ),
        migrations.RemoveConstraint(model_name="measurement", name="measurement_unique_key"),
        migrations.RenameModel(old_name="Measurement", new_name="LegacyMeasurement"),
        migrations.AlterField(
            model_name="legacymeasurement",
            name="data_connection",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="synctasks.dataconnection",
            ),
        ),
        migrations.RunPython(_rename_legacy_pkey, _rename_legacy_pkey_back),
        migrations.CreateModel(
            name="Measurement",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "series", "timestamp", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("timestamp", models.DateTimeField()),
                ("value", models.FloatField()),
                (
                    "series",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="measurements",
                        to="harvest.series",
                    ),
                ),
            ],
        ),
        migrations.RunPython(_carry_over, _carry_back),
        migrations.DeleteModel(name="LegacyMeasurement"),
    ]
