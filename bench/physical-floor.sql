-- The physical floor of the benchmark: what the hardware needs for the heart of the job, written
-- without any of the project's code or models (sql/ is not read), so that it does not get faster
-- or slower with the job. Every export read once by DuckDB's CSV reader, each dossier's latest
-- version kept, every dossier classified into the columns of Biểu 06 by quarter, year and
-- receiving unit, the result written as Parquet. bench/tasks.ts fills in the two placeholders: the
-- list of the export paths, and the Parquet file written.
--
-- Deliberately plainer than the job: units are the names as exported (no register, no roll-up by
-- level, no aliases), periods are calendar ones, a dossier whose result predates its reception
-- closes on its reception day, and no value is checked (a bad date is NULL, not quarantined).

CREATE TABLE dossiers AS
WITH exported AS (
    SELECT
        "Mã hồ sơ" AS dossier_id,
        "Đơn vị tiếp nhận" AS unit,
        "Kênh nộp" AS channel,
        "Trạng thái" AS status,
        try_strptime("Ngày tiếp nhận", ['%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M', '%d/%m/%Y', '%Y-%m-%d %H:%M:%S', '%Y-%m-%d'])::DATE AS received,
        try_strptime("Ngày hẹn trả", ['%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M', '%d/%m/%Y', '%Y-%m-%d %H:%M:%S', '%Y-%m-%d'])::DATE AS due,
        try_strptime("Ngày có kết quả", ['%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M', '%d/%m/%Y', '%Y-%m-%d %H:%M:%S', '%Y-%m-%d'])::DATE AS finished,
        try_strptime("Ngày trả kết quả", ['%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M', '%d/%m/%Y', '%Y-%m-%d %H:%M:%S', '%Y-%m-%d'])::DATE AS returned,
        try_strptime("Ngày từ chối", ['%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M', '%d/%m/%Y', '%Y-%m-%d %H:%M:%S', '%Y-%m-%d'])::DATE AS refused,
        try_strptime("Ngày cập nhật", ['%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M', '%d/%m/%Y', '%Y-%m-%d %H:%M:%S', '%Y-%m-%d']) AS updated,
        filename,
        row_number() OVER () AS position
    FROM read_csv({{files}}, header = true, all_varchar = true, filename = true, delim = ',', quote = '"')
),
latest AS (
    SELECT * FROM exported
    QUALIFY row_number() OVER (PARTITION BY dossier_id ORDER BY updated DESC NULLS LAST, filename DESC, position DESC) = 1
)
SELECT
    dossier_id, unit, received, due,
    channel IN ('2', 'Trực tuyến') AS online,
    CASE
        WHEN status IN ('9', '10', 'Đã xử lý xong', 'Đã trả kết quả') THEN 'resolved'
        WHEN status IN ('3', '7', '8', 'Không tiếp nhận', 'Công dân rút hồ sơ', 'Dừng xử lý') THEN 'stopped'
    END AS outcome,
    greatest(received, CASE
        WHEN status IN ('9', '10', 'Đã xử lý xong', 'Đã trả kết quả') THEN coalesce(finished, returned, updated::DATE)
        WHEN status IN ('3', '7', '8', 'Không tiếp nhận', 'Công dân rút hồ sơ', 'Dừng xử lý') THEN coalesce(refused, finished, updated::DATE)
    END) AS closed
FROM latest
WHERE received IS NOT NULL;

CREATE TABLE periods AS
SELECT 'quarter' AS period_type, strftime(q, '%Y') || '-Q' || quarter(q) AS period_key, q::DATE AS period_start, (q + INTERVAL 3 MONTH - INTERVAL 1 DAY)::DATE AS period_end
FROM range((SELECT date_trunc('quarter', min(received)) FROM dossiers), (SELECT max(received) FROM dossiers) + INTERVAL 1 DAY, INTERVAL 3 MONTH) AS t(q)
UNION ALL
SELECT 'year', strftime(y, '%Y'), y::DATE, (y + INTERVAL 1 YEAR - INTERVAL 1 DAY)::DATE
FROM range((SELECT date_trunc('year', min(received)) FROM dossiers), (SELECT max(received) FROM dossiers) + INTERVAL 1 DAY, INTERVAL 1 YEAR) AS t(y);

COPY (
    SELECT
        p.period_type, p.period_key, coalesce(d.unit, 'Tổng cộng') AS unit,
        count(*) FILTER (WHERE d.received >= p.period_start) AS received_in_period,
        count(*) FILTER (WHERE d.received >= p.period_start AND d.online) AS received_online,
        count(*) FILTER (WHERE d.received >= p.period_start AND NOT d.online) AS received_direct,
        count(*) FILTER (WHERE d.received < p.period_start) AS carried_over,
        count(*) AS received_total,
        count(*) FILTER (WHERE d.outcome = 'resolved' AND d.closed <= p.period_end) AS resolved_total,
        count(*) FILTER (WHERE d.outcome = 'resolved' AND d.closed <= p.period_end AND d.closed < d.due) AS resolved_early,
        count(*) FILTER (WHERE d.outcome = 'resolved' AND d.closed <= p.period_end AND (d.closed = d.due OR d.due IS NULL)) AS resolved_on_time,
        count(*) FILTER (WHERE d.outcome = 'resolved' AND d.closed <= p.period_end AND d.closed > d.due) AS resolved_late,
        count(*) FILTER (WHERE d.outcome = 'stopped' AND d.closed <= p.period_end) AS stopped_total,
        count(*) FILTER (WHERE d.closed IS NULL OR d.closed > p.period_end) AS in_progress_total,
        count(*) FILTER (WHERE (d.closed IS NULL OR d.closed > p.period_end) AND d.due < p.period_end) AS in_progress_overdue
    FROM periods p
    -- To process in the period: received by its end and not closed before its start.
    JOIN dossiers d ON d.received <= p.period_end AND (d.closed IS NULL OR d.closed >= p.period_start)
    GROUP BY GROUPING SETS ((p.period_type, p.period_key, d.unit), (p.period_type, p.period_key))
) TO {{out}} (FORMAT parquet, COMPRESSION zstd);
