using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Marketing.Sdk.Storage.Sqlite;

/// <summary>The few calls of SQLite's own API the bulk paths step prepared statements with.</summary>
internal static class SqliteNative
{
    /// <summary>Prepares a statement to be stepped many times; the caller disposes it.</summary>
    public static sqlite3_stmt Prepare(sqlite3 handle, string sql)
    {
        var rc = raw.sqlite3_prepare_v3(handle, sql, raw.SQLITE_PREPARE_PERSISTENT, out var stmt);
        if (rc != raw.SQLITE_OK)
        {
            stmt.Dispose();
            SqliteException.ThrowExceptionForRC(rc, handle);
        }
        return stmt;
    }

    /// <summary>Binds UTF-8 text (SQLite copies it); an empty value is bound as empty text, never as NULL.</summary>
    public static void BindText(sqlite3_stmt stmt, int index, ReadOnlySpan<byte> utf8, sqlite3 handle) =>
        Check(utf8.IsEmpty ? raw.sqlite3_bind_text(stmt, index, string.Empty) : raw.sqlite3_bind_text(stmt, index, utf8), handle);

    /// <summary>Runs a statement that returns no rows.</summary>
    public static void Step(sqlite3_stmt stmt, sqlite3 handle)
    {
        var rc = raw.sqlite3_step(stmt);
        if (rc != raw.SQLITE_DONE)
        {
            SqliteException.ThrowExceptionForRC(rc, handle);
        }
    }

    /// <summary>Throws the provider's exception for a failed call.</summary>
    public static void Check(int rc, sqlite3 handle)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, handle);
        }
    }
}

/// <summary>A reused UTF-8 buffer for binding strings (SQLite copies bound text).</summary>
internal sealed class Utf8Text
{
    private byte[] _bytes = new byte[256];

    /// <summary><paramref name="value"/> as UTF-8; valid until the next call.</summary>
    public ReadOnlySpan<byte> Get(string value)
    {
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (_bytes.Length < max)
        {
            _bytes = new byte[Math.Max(max, _bytes.Length * 2)];
        }
        return _bytes.AsSpan(0, Encoding.UTF8.GetBytes(value, _bytes));
    }
}
