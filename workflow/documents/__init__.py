"""The notice's documents, made from the case data: Word files from editable docxtpl
templates in ``templates/`` (a bureau restyles them without touching code), PDF through
LibreOffice, Excel through openpyxl. Who produced which document, and when, is recorded."""
