"""The staging rows' key columns lose their customer names (issue 12, layers): a resource says which slot
holds which key. Same data, renamed columns, all 100 characters wide."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [("imports", "0002_import_samples")]

    operations = [
        *(
            migrations.RenameField(model_name="importrow", old_name=old, new_name=new)
            for old, new in (("k_code", "key1"), ("k_mobile", "key2"), ("k_id", "key3"), ("k_uscc", "key4"),
                             ("k_name", "key5"), ("k_region", "key6"))
        ),
        *(
            migrations.AlterField(model_name="importrow", name=name, field=models.CharField(default="", max_length=100))
            for name in ("key1", "key2", "key3", "key4", "key6")
        ),
    ]
