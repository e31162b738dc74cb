using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Occam.Studies;

namespace Occam.Cli.Storage;

/// <summary>A claimed trial: its row id and the work to do.</summary>
internal sealed record ClaimedTrial(long Id, SweepTrial Trial);

/// <summary>
/// A sweep's trials in an SQLite file, so a sweep can be interrupted and resumed and several processes can work on it
/// at once. Tables: <c>sweeps</c> (one row: the spec JSON and its hash) and <c>trials</c> (configuration, repeat,
/// rung, epochs, params JSON, status pending/running/done, metric, per-epoch values JSON, worker, timestamps).
/// Every state change runs in a BEGIN IMMEDIATE transaction (the write lock is taken first, so two workers never
/// claim the same trial); the journal is WAL so readers never block the writer. A running trial is stale — and
/// claimed again — when its worker's process on this machine is gone, or its heartbeat (each epoch) is older than
/// <see cref="StaleAfter"/>.
/// </summary>
internal sealed class SweepStore : IDisposable
{
    readonly SqliteConnection _db;
    readonly SweepSettings _settings;
    readonly long _sweepId;
    readonly int _configurations;

    public static TimeSpan StaleAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>A worker id unique to this process and call: host:pid:random.</summary>
    public static string NewWorkerId() => $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..6]}";

    SweepStore(SqliteConnection db, SweepSettings settings, long sweepId, int configurations)
    {
        _db = db;
        _settings = settings;
        _sweepId = sweepId;
        _configurations = configurations;
    }

    /// <summary>Opens (or creates) the store for <paramref name="settings"/>; a file made by a different sweep is refused.</summary>
    public static SweepStore Open(string path, SweepSettings settings)
    {
        settings.Validate();
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new ArgumentException($"--storage '{path}' is a folder; name a database file");
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Pooling = false, DefaultTimeout = 60 }.ToString());
        try
        {
            db.Open();
            Execute(db, null, "PRAGMA busy_timeout = 60000; PRAGMA journal_mode = WAL;");
            using var tx = db.BeginTransaction(deferred: false);
            Execute(db, tx, """
                CREATE TABLE IF NOT EXISTS sweeps (
                    id INTEGER PRIMARY KEY, spec_hash TEXT NOT NULL, spec TEXT NOT NULL,
                    configurations INTEGER NOT NULL, created TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS trials (
                    id INTEGER PRIMARY KEY, sweep_id INTEGER NOT NULL REFERENCES sweeps(id),
                    config INTEGER NOT NULL, repeat INTEGER NOT NULL, rung INTEGER NOT NULL, epochs INTEGER NOT NULL,
                    params TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done')),
                    metric REAL, curve TEXT, worker TEXT, created TEXT NOT NULL, started TEXT, finished TEXT, heartbeat REAL,
                    UNIQUE (sweep_id, config, repeat, rung));
                CREATE INDEX IF NOT EXISTS trials_status ON trials (sweep_id, status, rung);
                """);
            string hash = settings.SpecHash(), spec = settings.Spec();
            long id;
            int configurations = 1;
            using (var cmd = Command(db, tx, "SELECT id, spec_hash, spec, configurations FROM sweeps ORDER BY id LIMIT 1"))
            using (var reader = cmd.ExecuteReader())
            {
                if (reader.Read())
                {
                    if (reader.GetString(1) != hash)
                        throw new InvalidOperationException($"the database {path} holds a different sweep ({reader.GetString(2)}); run with the same options to resume it, or pass another --storage file");
                    id = reader.GetInt64(0);
                    configurations = reader.GetInt32(3);
                }
                else id = -1;
            }
            if (id < 0)
            {
                var first = Sweep.FirstRung(settings);
                configurations = first.Count / settings.Repeats;
                using (var cmd = Command(db, tx, "INSERT INTO sweeps (spec_hash, spec, configurations, created) VALUES ($h, $s, $c, $t) RETURNING id"))
                {
                    cmd.Parameters.AddWithValue("$h", hash);
                    cmd.Parameters.AddWithValue("$s", spec);
                    cmd.Parameters.AddWithValue("$c", configurations);
                    cmd.Parameters.AddWithValue("$t", Now());
                    id = (long)cmd.ExecuteScalar()!;
                }
                Insert(db, tx, id, first);
            }
            tx.Commit();
            return new SweepStore(db, settings, id, configurations);
        }
        catch (SqliteException e)
        {
            db.Dispose();
            throw new InvalidDataException($"--storage '{path}' is not a sweep database occam can use: {e.Message}", e);
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    /// <summary>Claims the next pending trial (lowest rung first), or a stale running one; null when there is none now.</summary>
    public ClaimedTrial? Claim(string worker)
    {
        using var tx = _db.BeginTransaction(deferred: false);
        ClaimedTrial? claim = null;
        using (var cmd = Command(_db, tx, """
            SELECT id, config, repeat, rung, epochs, params, status, worker, heartbeat FROM trials
            WHERE sweep_id = $s AND status IN ('pending', 'running') ORDER BY rung, status DESC, config, repeat
            """))
        {
            cmd.Parameters.AddWithValue("$s", _sweepId);
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                bool pending = reader.GetString(6) == "pending";
                if (!pending && !IsStale(reader.IsDBNull(7) ? null : reader.GetString(7), reader.IsDBNull(8) ? 0 : reader.GetDouble(8))) continue;
                var parameters = JsonSerializer.Deserialize<Dictionary<string, double>>(reader.GetString(5))!;
                claim = new ClaimedTrial(reader.GetInt64(0), new SweepTrial(reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetInt32(4), parameters));
                break;
            }
        }
        if (claim != null)
        {
            using var update = Command(_db, tx, "UPDATE trials SET status = 'running', worker = $w, started = $t, heartbeat = $h WHERE id = $id");
            update.Parameters.AddWithValue("$w", worker);
            update.Parameters.AddWithValue("$t", Now());
            update.Parameters.AddWithValue("$h", Unix());
            update.Parameters.AddWithValue("$id", claim.Id);
            update.ExecuteNonQuery();
        }
        tx.Commit();
        return claim;
    }

    static bool IsStale(string? worker, double heartbeat)
    {
        if (Unix() - heartbeat > StaleAfter.TotalSeconds) return true;
        var parts = worker?.Split(':') ?? [];
        if (parts.Length < 3 || parts[0] != Environment.MachineName || !int.TryParse(parts[1], out int pid)) return false;
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException) { return true; }  // no such process: its worker died
    }

    /// <summary>Marks a claimed trial alive (called after each epoch).</summary>
    public void Heartbeat(long id)
    {
        using var cmd = Command(_db, null, "UPDATE trials SET heartbeat = $h WHERE id = $id AND status = 'running'");
        cmd.Parameters.AddWithValue("$h", Unix());
        cmd.Parameters.AddWithValue("$id", id);
        cmd.ExecuteNonQuery();
    }

    /// <summary>Returns a claimed trial to the queue (its worker failed or was interrupted).</summary>
    public void Release(long id)
    {
        using var cmd = Command(_db, null, "UPDATE trials SET status = 'pending', worker = NULL, started = NULL, heartbeat = NULL WHERE id = $id AND status = 'running'");
        cmd.Parameters.AddWithValue("$id", id);
        cmd.ExecuteNonQuery();
    }

    /// <summary>Records a finished trial; when it completes a halving rung, adds the next rung's trials in the same transaction.</summary>
    public void Complete(long id, TrialResult result, string worker)
    {
        using var tx = _db.BeginTransaction(deferred: false);
        using (var cmd = Command(_db, tx, "UPDATE trials SET status = 'done', metric = $m, curve = $c, worker = $w, finished = $t WHERE id = $id"))
        {
            cmd.Parameters.AddWithValue("$m", result.Metric);
            cmd.Parameters.AddWithValue("$c", JsonSerializer.Serialize(result.Curve.Select(v => double.IsFinite(v) ? v : (double?)null)));
            cmd.Parameters.AddWithValue("$w", worker);
            cmd.Parameters.AddWithValue("$t", Now());
            cmd.Parameters.AddWithValue("$id", id);
            cmd.ExecuteNonQuery();
        }
        if (_settings.Method == SweepMethod.Halving && Count(tx, "status != 'done'") == 0)
            Insert(_db, tx, _sweepId, Sweep.NextRung(_settings, _configurations, Read(tx, "status = 'done'").Select(r => r.Result!)));
        tx.Commit();
    }

    /// <summary>Trials not yet done (pending or running).</summary>
    public int Unfinished() => Count(null, "status != 'done'");

    /// <summary>Every trial row, in order (rung, config, repeat).</summary>
    public List<StoredTrial> Trials() => Read(null, "1 = 1");

    /// <summary>The finished trials' results.</summary>
    public List<TrialResult> Results() => Read(null, "status = 'done'").Select(t => t.Result!).ToList();

    internal sealed record StoredTrial(SweepTrial Trial, string Status, string? Worker, TrialResult? Result);

    List<StoredTrial> Read(SqliteTransaction? tx, string where)
    {
        using var cmd = Command(_db, tx, $"SELECT config, repeat, rung, epochs, params, status, metric, curve, worker FROM trials WHERE sweep_id = $s AND {where} ORDER BY rung, config, repeat");
        cmd.Parameters.AddWithValue("$s", _sweepId);
        using var reader = cmd.ExecuteReader();
        var list = new List<StoredTrial>();
        while (reader.Read())
        {
            var trial = new SweepTrial(reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3),
                JsonSerializer.Deserialize<Dictionary<string, double>>(reader.GetString(4))!);
            string status = reader.GetString(5);
            TrialResult? result = status == "done"
                ? new TrialResult(trial, reader.GetDouble(6), JsonSerializer.Deserialize<double?[]>(reader.GetString(7))!.Select(v => v ?? double.NaN).ToArray())
                : null;
            list.Add(new StoredTrial(trial, status, reader.IsDBNull(8) ? null : reader.GetString(8), result));
        }
        return list;
    }

    int Count(SqliteTransaction? tx, string where)
    {
        using var cmd = Command(_db, tx, $"SELECT COUNT(*) FROM trials WHERE sweep_id = $s AND {where}");
        cmd.Parameters.AddWithValue("$s", _sweepId);
        return Convert.ToInt32(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    static void Insert(SqliteConnection db, SqliteTransaction tx, long sweepId, IEnumerable<SweepTrial> trials)
    {
        using var cmd = Command(db, tx, """
            INSERT OR IGNORE INTO trials (sweep_id, config, repeat, rung, epochs, params, status, created)
            VALUES ($s, $c, $r, $g, $e, $p, 'pending', $t)
            """);
        var (s, c, r, g, e, p, t) = (cmd.Parameters.Add("$s", SqliteType.Integer), cmd.Parameters.Add("$c", SqliteType.Integer),
            cmd.Parameters.Add("$r", SqliteType.Integer), cmd.Parameters.Add("$g", SqliteType.Integer), cmd.Parameters.Add("$e", SqliteType.Integer),
            cmd.Parameters.Add("$p", SqliteType.Text), cmd.Parameters.Add("$t", SqliteType.Text));
        foreach (var trial in trials)
        {
            (s.Value, c.Value, r.Value, g.Value, e.Value) = (sweepId, trial.Config, trial.Repeat, trial.Rung, trial.Epochs);
            p.Value = JsonSerializer.Serialize(trial.Parameters);
            t.Value = Now();
            cmd.ExecuteNonQuery();
        }
    }

    static SqliteCommand Command(SqliteConnection db, SqliteTransaction? tx, string sql)
    {
        var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        return cmd;
    }

    static void Execute(SqliteConnection db, SqliteTransaction? tx, string sql)
    {
        using var cmd = Command(db, tx, sql);
        cmd.ExecuteNonQuery();
    }

    static string Now() => DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture);

    static double Unix() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    public void Dispose() => _db.Dispose();
}
