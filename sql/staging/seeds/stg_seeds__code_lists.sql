/*
description: >
  The code lists of sql/seeds/code_lists.csv: statuses, channels, online-service levels,
  catalogue statuses and budget units, with their labels. The spellings each code accepts in
  exports are in seeds.code_aliases.
grain: one row per list and code
primary_key: [list, code]
columns:
  list: status, channel, online_level, catalogue_status, budget_unit, payment_method, payment_status, satisfaction, feedback_status or account_type
  code: The code
  label: Vietnamese label
  group_name: The group the code falls in (e.g. resolved or stopped for statuses)
*/
with source_rows as (
    select * from seeds.code_lists
),

final as (
    select list, code, label, group_name from source_rows
)

select * from final
