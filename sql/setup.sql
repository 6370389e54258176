-- Objects that every stage relies on, recreated at the start of each run after the seeds:
-- the parsing macros of the text that source exports carry, and the lookup of code-list labels.
-- The load stage uses them to quarantine unreadable values; staging uses them to type the rest.

-- A label reduced to what identifies it: NFC, no diacritics, đ→d, lower case, words split by one
-- space, and "Ủy ban nhân dân" as everyone abbreviates it, UBND.
create or replace macro norm_key(s) as
    trim(regexp_replace(
        regexp_replace(lower(strip_accents(replace(replace(nfc_normalize(trim(s)), 'đ', 'd'), 'Đ', 'D'))), '[^a-z0-9]+', ' ', 'g'),
        '(^| )uy ban nhan dan( |$)', '\1ubnd\2', 'g'));

-- A national procedure code without the provincial suffix: 1.001234.000.00.00.H15 → 1.001234.
create or replace macro national_procedure_code(s) as regexp_replace(trim(s), '\.000\.00\.00\.H\d+$', '');

-- Blank text is no value.
create or replace macro blank_to_null(s) as nullif(trim(s), '');

-- The keyed hash of an ID number (CCCD, CMND, passport), the same however it was typed:
-- keyed_hash is defined for the session from the key in the environment (pipelines/setup/privacy.ts).
create or replace macro person_key(id_number) as
    keyed_hash(nullif(upper(regexp_replace(id_number, '[^0-9A-Za-z]', '', 'g')), ''));

-- Dates as the exports write them: dd/mm/yyyy with or without a time, dd-mm-yyyy, d/m/yy
-- (Excel's short dates), ISO (XLSX cells), or yyyyMMddHHmmss (the sync APIs).
create or replace macro vn_timestamp(s) as
    case
        -- The usual form, rewritten to ISO for DuckDB's cast: four times faster than trying
        -- the formats one by one, and as strict (31/02 is no date).
        when regexp_full_match(s, '\d{2}/\d{2}/\d{4}( ([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?)?')
            then try_cast(regexp_replace(s, '^(\d{2})/(\d{2})/(\d{4})', '\3-\2-\1') as timestamp)
        -- A two-digit year, which %Y would read as the year 24 AD, not 2024: %y reads it as
        -- 2000 to 2068, 1969 to 1999.
        when regexp_matches(s, '^\s*\d{1,2}[/-]\d{1,2}[/-]\d{2}(\s|$)')
            then try_strptime(trim(replace(s, '-', '/')), ['%d/%m/%y %H:%M:%S', '%d/%m/%y %H:%M', '%d/%m/%y'])
        else try_strptime(blank_to_null(s), [
            '%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M', '%d/%m/%Y',
            '%d-%m-%Y %H:%M:%S', '%d-%m-%Y %H:%M', '%d-%m-%Y',
            '%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%d', '%Y%m%d%H%M%S'
        ])
    end;

-- Amounts in Vietnamese notation: '.' groups thousands, ',' marks decimals ("1.234.500", "98,85").
-- A '.' that does not group three digits is no amount: "150000.00", written with a decimal
-- point, would otherwise read as 15,000,000, a hundred times too much.
create or replace macro vn_amount(s) as
    case when regexp_full_match(replace(s, ' ', ''), '[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?([eE][+-]?\d+)?')
        then try_cast(replace(replace(replace(s, ' ', ''), '.', ''), ',', '.') as decimal(18, 2))
    end;

-- Whole numbers, '.' grouping thousands ("1.500"); a '.' that does not group three digits is a
-- decimal point ("1.5" days), which no whole number has.
create or replace macro vn_integer(s) as
    case when regexp_full_match(replace(s, ' ', ''), '[+-]?(\d{1,3}(\.\d{3})+|\d+)')
        then try_cast(replace(replace(s, ' ', ''), '.', '') as bigint)
    end;

-- Yes/no as words, marks or digits ("Có", "x", "1" / "Không", "0"). list_contains, not IN:
-- DuckDB plans an IN list of this length as a join, which made staging a third slower. The
-- digits that most exports write are answered first, without the normalisation of norm_key:
-- for three such columns of five million dossiers, that was 5 s of CPU.
create or replace macro vn_boolean(s) as
    case
        when s = '1' then true
        when s = '0' then false
        when list_contains(['co', 'x', '1', 'true', 'yes', 'y', 'da', 'dung'], norm_key(s)) then true
        when list_contains(['khong', '0', 'false', 'no', 'n', 'chua', 'sai'], norm_key(s)) then false
    end;

-- Every spelling that names a code of a code list, a level or a unit: its code, its label, its
-- aliases, and the spellings the deployment's config adds (seeds.vocabulary, by code or by a
-- spelling the list knows), which win over a seed's. A unit's spellings hold while it exists:
-- "UBND phường Đồng Sơn" names one ward until 30 June 2025 and another from 1 July. A table, not
-- a view: the load stage looks values up in it for every row.
create or replace table seeds.code_aliases as
with labelled as (
    select list, code, label, group_name, code || '|' || label || '|' || coalesce(aliases, '') as spellings,
           null::date as valid_from, null::date as valid_to
    from seeds.code_lists
    union all
    select 'level', level, label, level, concat_ws('|', level, label, aliases), null, null
    from seeds.levels
    union all
    -- Units that receive dossiers (the entity's own desk among them); an entity at the top of
    -- the register is not one. Long official names add the parent's: "Phòng Tư pháp thành phố
    -- Đồng Hới".
    select 'unit', u.unit_code, u.unit_name, u.level,
           concat_ws('|', u.unit_code, u.unit_name, u.aliases, case when u.unit_type <> 'desk' then u.unit_name || ' ' || e.unit_name end),
           u.valid_from, u.valid_to
    from seeds.units as u
    left join seeds.units as e on e.unit_code = u.parent_code
    where u.parent_code is not null
),

seeded as (
    select distinct list, code, label, group_name, norm_key(spelling) as alias_key,
           coalesce(valid_from, date '0001-01-01') as valid_from, coalesce(valid_to, date '9999-12-31') as valid_to
    from labelled, unnest(string_split(spellings, '|')) as s(spelling)
    where norm_key(spelling) <> ''
),

configured as (
    select distinct v.list, s.code, s.label, s.group_name, norm_key(v.spelling) as alias_key, s.valid_from, s.valid_to
    from seeds.vocabulary as v
    inner join seeded as s on s.list = v.list and s.alias_key = norm_key(v.code)
    where norm_key(v.spelling) <> ''
)

select *, true as from_config from configured
union all
select *, false as from_config from seeded as s
where not exists (
    select 1 from configured as c
    where c.list = s.list and c.alias_key = s.alias_key and c.valid_from <= s.valid_to and s.valid_from <= c.valid_to
);

-- The code, or the group of the code, that a spelling names in a code list ('status', 'channel'…).
create or replace macro code_of(list_name, value) as
    (select any_value(code) from seeds.code_aliases a where a.list = list_name and a.alias_key = norm_key(value));

create or replace macro group_of(list_name, value) as
    (select any_value(group_name) from seeds.code_aliases a where a.list = list_name and a.alias_key = norm_key(value));

-- The unit a spelling names on a day: the unit of that name that existed then; else, for an
-- export that keeps an old name after a reform, the one successor of the unit of that name; else
-- the unit of that name that existed last (docs/counting-rules.md, "The unit register").
create or replace table seeds.unit_spellings as
with named as (
    select alias_key, code as unit_code, valid_from, valid_to, 1 as priority
    from seeds.code_aliases
    where list = 'unit'
),

-- Only where the name passes to one unit whenever it passes on: two units of one name that
-- ended into two different successors leave the name to its last unit.
inherited as (
    select n.alias_key, s.successor_code, coalesce(u.valid_from, date '0001-01-01'), coalesce(u.valid_to, date '9999-12-31'), 2
    from named as n
    inner join seeds.unit_successors as s on s.unit_code = n.unit_code and s.share = 1
    inner join seeds.units as u on u.unit_code = s.successor_code
    qualify min(s.successor_code) over (partition by n.alias_key) = max(s.successor_code) over (partition by n.alias_key)
)

select
    *,
    row_number() over (partition by alias_key order by priority, valid_to desc, unit_code) = 1 as is_latest
from (select * from named union all select * from inherited);

-- Of a spelling already normalised by norm_key: stg_motcua__dossiers looks its spellings up once
-- per span of days in which the answer stays the same, not once per dossier.
create or replace macro unit_of_key(spelling_key, day) as
    coalesce(
        (select arg_min(unit_code, priority) from seeds.unit_spellings as s
         where s.alias_key = spelling_key and day between s.valid_from and s.valid_to),
        (select any_value(unit_code) from seeds.unit_spellings as s where s.alias_key = spelling_key and s.is_latest)
    );

create or replace macro unit_at(value, day) as unit_of_key(norm_key(value), day);

-- The items of a JSON list, one row each (used in a select list, as unnest is): the nested
-- lists of a dossier that the sync API sends (stg_motcua__dossier_lists).
create or replace macro json_items(list) as unnest(json_extract(list, '$[*]'));

-- Latest version wins: of the rows that share a key, the one updated last, then loaded last,
-- then last in its file; a version without an update time comes before every one with. Every
-- staging model of a source that sends new versions of a record keeps each record this way, and
-- the incremental merge of such a model uses it too, so that the rule is stated here only:
-- version_rank is that order as one number, the greatest the latest. A number, not a struct,
-- because a grouping by key can then spill to disk (a grouping holding structs ran out of
-- memory on thirty million dossier rows). It holds while a file has fewer than 2^32 rows
-- (limits.max_rows_per_file) and the loads number fewer than 2^31.
create or replace macro version_rank(updated_at, _load_id, _row) as
    coalesce(epoch_us(updated_at)::hugeint, -9223372036854775807) * 18446744073709551616 + _load_id::hugeint * 4294967296 + _row;

-- The latest version of each key, whole.
create or replace macro latest_version(rows, key) as table
    select * from query_table(rows)
    qualify row_number() over (partition by key order by version_rank(updated_at, _load_id, _row) desc) = 1;

-- Which row is each key's latest version, and how many versions the key has: a grouping, for a
-- model that types the winners only (on ten million rows it took half the time of the window).
-- The winner's update time comes along, as the greatest (version_rank orders by it first), so
-- that it is not read from the text again.
create or replace macro latest_row(rows, key) as table
    select key, count(*) as versions, max(updated_at) as updated_at,
           arg_max(_load_id, version_rank(updated_at, _load_id, _row)) as _load_id,
           arg_max(_row, version_rank(updated_at, _load_id, _row)) as _row
    from query_table(rows)
    group by key;

-- The row loaded last wins: for a list exported whole each time, with no update time (the
-- catalogue of procedures), the latest export is its state.
create or replace macro latest_loaded(rows, key) as table
    select * from query_table(rows)
    qualify row_number() over (partition by key order by _load_id desc, _row desc) = 1;

-- A reporting setting of the config (settings.reporting, written before each build): a table,
-- not a session variable, so that views read the same value in any session.
create or replace macro reporting_setting(setting_name) as
    (select any_value(value) from settings.reporting r where r.name = setting_name);

-- The deployment's code: the unit_code of the totals of every fact mart (the register's `code`).
create or replace macro deployment_code() as (select any_value(code) from seeds.deployment);

-- The deployment's name (the register's `name`): the unit_name of the totals.
create or replace macro deployment_name() as (select any_value(name) from seeds.deployment);
