using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Linq.Expressions;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Data.SqlClient;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking.Internal;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Query.Internal;
using Microsoft.EntityFrameworkCore.Storage;
using Portal.Core.Data;

#pragma warning disable EF1001 // The dry run hooks EF Core's query compiler and state manager, which are internal APIs.

namespace Portal.Web.Tests.Infrastructure.SqlServerDryRun;

/// <summary>
/// Shadows a portal running on SQLite with the SQL Server provider: every LINQ query, ExecuteUpdate/ExecuteDelete and
/// SaveChanges the portal performs on SQLite is performed once more on a SQL Server-configured
/// <see cref="PortalDbContext"/> whose connection is never opened. Its commands are recorded when EF Core is about to
/// execute them and answered with empty results (queries) or one row per result set (saves), so the SQL Server
/// provider generates exactly the statements production would send; <see cref="SqlServerStatementChecks"/> parses and
/// checks them. The real flow's results come from SQLite, so the portal behaves as in the SQLite test run.
/// </summary>
public sealed class SqlServerDryRun
{
    private readonly ConcurrentDictionary<string, RecordedStatement> _statements = new();
    private readonly ConcurrentDictionary<string, int> _unreplayed = new();
    private readonly ConcurrentDictionary<string, int> _shadowErrors = new();
    private readonly DbContextOptions<PortalDbContext> _shadowOptions;
    private long _commands;

    public SqlServerDryRun()
    {
        _shadowOptions = new DbContextOptionsBuilder<PortalDbContext>()
            .UseSqlServer(
                "Server=tcp:sqlserver-dry-run.invalid,1433;Database=portal;Encrypt=True;TrustServerCertificate=True",
                o => o.MigrationsAssembly(DatabaseOptions.MigrationsAssembly(DatabaseProvider.SqlServer)))
            .AddInterceptors(new NeverOpenedConnection(this))
            .Options;
    }

    /// <summary>The one dry run of this test process (the interceptors EF Core resolves cannot take constructor state).</summary>
    public static SqlServerDryRun Instance { get; } = new();

    public IReadOnlyCollection<RecordedStatement> Statements => _statements.Values.ToList();

    /// <summary>Commands the real provider executed that were not replayed on SQL Server, by kind and text.</summary>
    public IReadOnlyDictionary<string, int> Unreplayed => _unreplayed;

    /// <summary>Operations whose shadow failed before EF Core produced its SQL, by message.</summary>
    public IReadOnlyDictionary<string, int> ShadowErrors => _shadowErrors;

    public long Commands => Interlocked.Read(ref _commands);

    /// <summary>Attaches the shadow to a (SQLite) portal context.</summary>
    public static void Attach(DbContextOptionsBuilder options) =>
        options.ReplaceService<IQueryCompiler, ShadowingQueryCompiler>()
            .AddInterceptors(new ShadowingSaveInterceptor(Instance), new RealCommandWatcher(Instance));

    /// <summary>A SQL Server-configured context that records instead of executing.</summary>
    public PortalDbContext CreateShadowContext()
    {
        var db = new PortalDbContext(_shadowOptions);
        db.Database.AutoTransactionBehavior = AutoTransactionBehavior.Never;
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        return db;
    }

    internal void ShadowError(string what, Exception e)
    {
        var key = what + ": " + e.GetType().Name + ": " + FirstLine(e.Message);
        _shadowErrors.AddOrUpdate(key, 1, (_, n) => n + 1);
    }

    internal void NotReplayed(string kind, string text) =>
        _unreplayed.AddOrUpdate(kind + ": " + Normalise(text), 1, (_, n) => n + 1);

    internal void Record(DbCommand command, CommandSource source)
    {
        Interlocked.Increment(ref _commands);
        if (Environment.GetEnvironmentVariable("PORTAL_DRY_RUN_RAW") is { Length: > 0 } raw)
            lock (_statements)
                File.AppendAllText(raw, command.CommandText + "\n;;\n");
        var parameters = command.Parameters.Cast<SqlParameter>()
            .Select(p => new RecordedParameter(p.ParameterName, p.SqlDbType, p.Size, p.Value?.GetType()))
            .ToList();
        var problems = SqlServerStatementChecks.Check(command.CommandText, parameters, out var statements);
        foreach (var text in statements)
        {
            _statements.AddOrUpdate(Normalise(text),
                key => new RecordedStatement(key, source.ToString(), problems, 1),
                (_, s) => s with { Count = s.Count + 1 });
        }

        if (statements.Count == 0)
            _statements.TryAdd(Normalise(command.CommandText), new RecordedStatement(Normalise(command.CommandText), source.ToString(), problems, 1));
    }

    /// <summary>One line per statement, parameter names and the lengths of parameter lists left out.</summary>
    public static string Normalise(string sql)
    {
        var text = Regex.Replace(sql, @"\s+", " ").Trim();
        text = Regex.Replace(text, @"@[A-Za-z_][A-Za-z0-9_]*", "@p");
        text = Regex.Replace(text, @"\(\s*@p(\s*,\s*@p)*\s*\)", "(@p, …)");
        return text;
    }

    private static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }

    /// <summary>Suppresses opening, answers every command from memory and records it.</summary>
    private sealed class NeverOpenedConnection(SqlServerDryRun run) : IDbConnectionInterceptor, IDbCommandInterceptor
    {
        public InterceptionResult ConnectionOpening(DbConnection connection, ConnectionEventData eventData, InterceptionResult result) =>
            InterceptionResult.Suppress();

        public ValueTask<InterceptionResult> ConnectionOpeningAsync(DbConnection connection, ConnectionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(InterceptionResult.Suppress());

        public InterceptionResult ConnectionClosing(DbConnection connection, ConnectionEventData eventData, InterceptionResult result) =>
            InterceptionResult.Suppress();

        public ValueTask<InterceptionResult> ConnectionClosingAsync(DbConnection connection, ConnectionEventData eventData, InterceptionResult result) =>
            ValueTask.FromResult(InterceptionResult.Suppress());

        public InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
        {
            run.Record(command, eventData.CommandSource);
            return InterceptionResult<DbDataReader>.SuppressWithResult(new AnsweringReader(eventData.CommandSource == CommandSource.SaveChanges));
        }

        public ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(ReaderExecuting(command, eventData, result));

        public InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
        {
            run.Record(command, eventData.CommandSource);
            return InterceptionResult<int>.SuppressWithResult(1);
        }

        public ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(NonQueryExecuting(command, eventData, result));

        public InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
        {
            run.Record(command, eventData.CommandSource);
            return InterceptionResult<object>.SuppressWithResult(1);
        }

        public ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(ScalarExecuting(command, eventData, result));
    }

    /// <summary>Watches the real (SQLite) commands for those the shadow cannot replay: raw SQL written for that provider.</summary>
    private sealed class RealCommandWatcher(SqlServerDryRun run) : IDbCommandInterceptor
    {
        private void Watch(DbCommand command, CommandEventData eventData)
        {
            if (eventData.CommandSource is CommandSource.ExecuteSqlRaw or CommandSource.FromSqlQuery)
                run.NotReplayed(eventData.CommandSource.ToString(), command.CommandText);
        }

        public InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
        {
            Watch(command, eventData);
            return result;
        }

        public ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Watch(command, eventData);
            return ValueTask.FromResult(result);
        }

        public InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
        {
            Watch(command, eventData);
            return result;
        }

        public ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            Watch(command, eventData);
            return ValueTask.FromResult(result);
        }
    }

    /// <summary>Replays every SaveChanges of the real context on a shadow context, entry by entry.</summary>
    private sealed class ShadowingSaveInterceptor(SqlServerDryRun run) : ISaveChangesInterceptor
    {
        public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
        {
            if (eventData.Context is { } context)
                run.ShadowSave(context);
            return result;
        }

        public ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            if (eventData.Context is { } context)
                run.ShadowSave(context);
            return ValueTask.FromResult(result);
        }
    }

    internal void ShadowSave(DbContext real)
    {
        try
        {
            real.ChangeTracker.DetectChanges();
            using var shadow = CreateShadowContext();
            foreach (var entry in real.ChangeTracker.Entries().ToList())
            {
                if (entry.State is not (EntityState.Added or EntityState.Modified or EntityState.Deleted))
                    continue;
                var type = shadow.Model.FindEntityType(entry.Metadata.Name);
                if (type is null || entry.Metadata.HasSharedClrType)
                {
                    ShadowError("save", new NotSupportedException("entity type " + entry.Metadata.Name + " has no single CLR type in the SQL Server model"));
                    continue;
                }

                var copy = entry.CurrentValues.ToObject();
                var target = shadow.Entry(copy);
                foreach (var property in entry.Metadata.GetProperties().Where(p => !p.IsShadowProperty()))
                {
                    if (entry.Property(property.Name).IsTemporary)
                        target.Property(property.Name).CurrentValue = property.ClrType.IsValueType ? Activator.CreateInstance(property.ClrType) : null;
                }

                if (entry.State == EntityState.Added)
                {
                    target.State = EntityState.Added;
                    foreach (var property in entry.Metadata.GetProperties().Where(p => p.IsShadowProperty()))
                        target.Property(property.Name).CurrentValue = entry.Property(property.Name).CurrentValue;
                    continue;
                }

                target.State = EntityState.Unchanged;
                foreach (var property in entry.Metadata.GetProperties())
                {
                    var source = entry.Property(property.Name);
                    var shadowProperty = target.Property(property.Name);
                    if (property.IsShadowProperty())
                        shadowProperty.CurrentValue = source.CurrentValue;
                    shadowProperty.OriginalValue = source.OriginalValue;
                }

                if (entry.State == EntityState.Deleted)
                {
                    target.State = EntityState.Deleted;
                    continue;
                }

                foreach (var property in entry.Metadata.GetProperties())
                {
                    if (entry.Property(property.Name).IsModified)
                        target.Property(property.Name).IsModified = true;
                }
            }

            shadow.GetService<IStateManager>().SaveChanges(acceptAllChangesOnSuccess: false);
        }
        catch (Exception e)
        {
            // A save answered from memory may fail after its commands were recorded (concurrency checks on made-up
            // answers); only failures before any command count as the dry run not reaching the statement.
            if (e is not DbUpdateException)
                ShadowError("save", e);
        }
    }

    /// <summary>Runs a query expression of the real context once more on a shadow context.</summary>
    internal void ShadowQuery(Expression query, Type resultType, bool async)
    {
        try
        {
            using var shadow = CreateShadowContext();
            var rewritten = new ShadowRoots(shadow).Visit(query);
            var compiler = shadow.GetService<IQueryCompiler>();
            if (!async)
            {
                var execute = typeof(IQueryCompiler).GetMethod(nameof(IQueryCompiler.Execute))!.MakeGenericMethod(resultType);
                var value = execute.Invoke(compiler, [rewritten]);
                Drain(value);
            }
            else
            {
                var execute = typeof(IQueryCompiler).GetMethod(nameof(IQueryCompiler.ExecuteAsync))!.MakeGenericMethod(resultType);
                var value = execute.Invoke(compiler, [rewritten, CancellationToken.None]);
                Drain(value);
            }
        }
        catch (RawSqlRoot raw)
        {
            NotReplayed("raw SQL query", raw.Sql);
        }
        catch (Exception e)
        {
            var inner = e is TargetInvocationException { InnerException: { } i } ? i : e;
            if (inner is AggregateException { InnerException: { } a })
                inner = a;
            // Empty answers make First/Single/aggregates throw after the command was recorded; that is expected.
            if (inner is not InvalidOperationException)
                ShadowError("query", inner);
        }
    }

    private static void Drain(object? value)
    {
        switch (value)
        {
            case Task task:
                task.GetAwaiter().GetResult();
                break;
            case System.Collections.IEnumerable sequence and not string:
                foreach (var _ in sequence)
                {
                }

                break;
            default:
                if (value is not null && value.GetType().GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IAsyncEnumerable<>)) is { } asyncSequence)
                {
                    typeof(SqlServerDryRun).GetMethod(nameof(DrainAsync), BindingFlags.NonPublic | BindingFlags.Static)!
                        .MakeGenericMethod(asyncSequence.GetGenericArguments()[0])
                        .Invoke(null, [value]);
                }

                break;
        }
    }

    private static void DrainAsync<T>(IAsyncEnumerable<T> sequence)
    {
        var enumerator = sequence.GetAsyncEnumerator();
        try
        {
            while (enumerator.MoveNextAsync().AsTask().GetAwaiter().GetResult())
            {
            }
        }
        finally
        {
            enumerator.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private sealed class RawSqlRoot(string sql) : Exception("raw SQL")
    {
        public string Sql { get; } = sql;
    }

    /// <summary>Points the query roots (and queryables captured in closures) at the shadow context's model.</summary>
    private sealed class ShadowRoots(DbContext shadow) : ExpressionVisitor
    {
        protected override Expression VisitExtension(Expression node) => node switch
        {
            FromSqlQueryRootExpression fromSql => throw new RawSqlRoot(fromSql.Sql),
            SqlQueryRootExpression sqlQuery => throw new RawSqlRoot(sqlQuery.Sql),
            EntityQueryRootExpression root => new EntityQueryRootExpression(
                shadow.Model.FindEntityType(root.EntityType.Name)
                ?? throw new InvalidOperationException("The SQL Server model has no entity type " + root.EntityType.Name)),
            _ => base.VisitExtension(node),
        };

        protected override Expression VisitMember(MemberExpression node)
        {
            if (typeof(IQueryable).IsAssignableFrom(node.Type) && !HasParameters.In(node))
                return Evaluate(node);
            return base.VisitMember(node);
        }

        protected override Expression VisitMethodCall(MethodCallExpression node)
        {
            if (typeof(IQueryable).IsAssignableFrom(node.Type) && node.Object is not null
                && typeof(DbContext).IsAssignableFrom(node.Object.Type) && !HasParameters.In(node))
                return Evaluate(node);
            return base.VisitMethodCall(node);
        }

        protected override Expression VisitConstant(ConstantExpression node) =>
            node.Value is IQueryable queryable && queryable.Expression is not ConstantExpression
                ? Visit(queryable.Expression)
                : node;

        private Expression Evaluate(Expression node)
        {
            var value = Expression.Lambda<Func<object?>>(Expression.Convert(node, typeof(object))).Compile()();
            return value is IQueryable queryable ? Visit(queryable.Expression) : Expression.Constant(value, node.Type);
        }
    }

    private sealed class HasParameters : ExpressionVisitor
    {
        private bool _found;

        public static bool In(Expression expression)
        {
            var finder = new HasParameters();
            finder.Visit(expression);
            return finder._found;
        }

        protected override Expression VisitParameter(ParameterExpression node)
        {
            _found = true;
            return node;
        }
    }
}

public sealed record RecordedParameter(string Name, SqlDbType Type, int Size, Type? ValueType);

public sealed record RecordedStatement(string Text, string Source, IReadOnlyList<string> Problems, int Count);

/// <summary>The portal's query compiler, which also has every query it runs performed on the SQL Server shadow.</summary>
public sealed class ShadowingQueryCompiler(
    IQueryContextFactory queryContextFactory,
    ICompiledQueryCache compiledQueryCache,
    ICompiledQueryCacheKeyGenerator compiledQueryCacheKeyGenerator,
    IDatabase database,
    IDiagnosticsLogger<DbLoggerCategory.Query> logger,
    ICurrentDbContext currentContext,
    IEvaluatableExpressionFilter evaluatableExpressionFilter,
    IModel model)
    : QueryCompiler(queryContextFactory, compiledQueryCache, compiledQueryCacheKeyGenerator, database, logger, currentContext, evaluatableExpressionFilter, model)
{
    public override TResult Execute<TResult>(Expression query)
    {
        SqlServerDryRun.Instance.ShadowQuery(query, typeof(TResult), async: false);
        return base.Execute<TResult>(query);
    }

    public override TResult ExecuteAsync<TResult>(Expression query, CancellationToken cancellationToken = default)
    {
        SqlServerDryRun.Instance.ShadowQuery(query, typeof(TResult), async: true);
        return base.ExecuteAsync<TResult>(query, cancellationToken);
    }
}

/// <summary>
/// Answers a command without a server: no rows for queries; for saves, one row per result set whose every column
/// reads as 1 (or the type's equivalent), so EF Core sees each modification affect one row.
/// </summary>
internal sealed class AnsweringReader(bool oneRowPerResult) : DbDataReader
{
    private const int Columns = 64;
    private bool _read;
    private int _results = 1;

    public override int FieldCount => oneRowPerResult ? Columns : 0;
    public override bool HasRows => oneRowPerResult && !_read;
    public override bool IsClosed => false;
    public override int RecordsAffected => oneRowPerResult ? 1 : -1;
    public override int Depth => 0;
    public override object this[int ordinal] => GetValue(ordinal);
    public override object this[string name] => GetValue(0);

    public override bool Read()
    {
        if (!oneRowPerResult || _read)
            return false;
        _read = true;
        return true;
    }

    public override bool NextResult()
    {
        if (!oneRowPerResult || _results >= 1000)
            return false;
        _results++;
        _read = false;
        return true;
    }

    public override T GetFieldValue<T>(int ordinal) => (T)Answer(typeof(T));
    public override object GetValue(int ordinal) => 1;
    public override bool IsDBNull(int ordinal) => false;
    public override bool GetBoolean(int ordinal) => true;
    public override byte GetByte(int ordinal) => 1;
    public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length) => 0;
    public override char GetChar(int ordinal) => '1';
    public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length) => 0;
    public override string GetDataTypeName(int ordinal) => "int";
    public override DateTime GetDateTime(int ordinal) => DateTime.UnixEpoch;
    public override decimal GetDecimal(int ordinal) => 1;
    public override double GetDouble(int ordinal) => 1;
    public override Type GetFieldType(int ordinal) => typeof(int);
    public override float GetFloat(int ordinal) => 1;
    public override Guid GetGuid(int ordinal) => Guid.NewGuid();
    public override short GetInt16(int ordinal) => 1;
    public override int GetInt32(int ordinal) => 1;
    public override long GetInt64(int ordinal) => 1;
    public override string GetName(int ordinal) => "c" + ordinal;
    public override int GetOrdinal(string name) => 0;
    public override string GetString(int ordinal) => "1";
    public override int GetValues(object[] values) => 0;
    public override System.Collections.IEnumerator GetEnumerator() => Array.Empty<object>().GetEnumerator();

    private static object Answer(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string)) return "1";
        if (type == typeof(Guid)) return Guid.NewGuid();
        if (type == typeof(DateTimeOffset)) return DateTimeOffset.UnixEpoch;
        if (type == typeof(DateTime)) return DateTime.UnixEpoch;
        if (type == typeof(byte[])) return new byte[8];
        if (type == typeof(bool)) return true;
        if (type.IsEnum) return Enum.ToObject(type, 1);
        return Convert.ChangeType(1, type, System.Globalization.CultureInfo.InvariantCulture);
    }
}
