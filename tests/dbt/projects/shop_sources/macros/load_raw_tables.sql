{# Loads each export file raw_data/<name>.csv into the table raw.<name>. #}
{% macro load_raw_tables(names) %}
    {% set schema = 'raw' %}
    create schema if not exists {{ schema }};
    {% for name in names %}
    create or replace table {{ schema }}.{{ name }} as
        select * from read_csv('raw_data/{{ name }}.csv', header = true);
    {% endfor %}
{% endmacro %}
