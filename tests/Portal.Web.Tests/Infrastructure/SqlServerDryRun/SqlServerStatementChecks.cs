using System.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.SqlServer.TransactSql.ScriptDom;
using Portal.Core.Data;

namespace Portal.Web.Tests.Infrastructure.SqlServerDryRun;

/// <summary>
/// What every statement sent to SQL Server must pass: it parses as T-SQL (TSql160); it has at most 2,100 parameters
/// (SQL Server's limit per request); a parameter compared with a <c>char</c>/<c>varchar</c> column is not Unicode (an
/// <c>nvarchar</c> parameter converts the column instead, so an index on it is scanned, not sought); a query tagged
/// (<c>TagWith</c>) <see cref="RowLockTag"/> reads WITH (UPDLOCK) or (XLOCK); and a no-op update (<c>SET x = x</c>, which
/// the portal writes only to take a row's exclusive lock until its transaction ends: the artifact row, the audit
/// chain head) narrows to one row by an <c>Id</c> equality, so it locks that row rather than a range or the table.
/// </summary>
public static class SqlServerStatementChecks
{
    public const int MaxParameters = 2100;

    /// <summary>Tag of a query meant to lock what it reads (EF Core writes tags of queries, not of ExecuteUpdate).</summary>
    public const string RowLockTag = "portal:row-lock";

    private static readonly Lazy<IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>> ColumnTypes = new(ReadColumnTypes);

    /// <summary>Store types of the SQL Server model, by table and column (case-insensitive, as SQL Server resolves them).</summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Columns => ColumnTypes.Value;

    public static IReadOnlyList<string> Check(string sql, IReadOnlyList<RecordedParameter> parameters, out IReadOnlyList<string> statements)
    {
        var problems = new List<string>();
        var parser = new TSql160Parser(initialQuotedIdentifiers: true);
        using var reader = new StringReader(sql);
        var fragment = parser.Parse(reader, out var errors);
        var texts = new List<string>();
        statements = texts;
        if (errors.Count > 0)
        {
            problems.AddRange(errors.Select(e => $"does not parse as T-SQL (line {e.Line}, column {e.Column}): {e.Message}"));
            return problems;
        }

        if (parameters.Count > MaxParameters)
            problems.Add($"has {parameters.Count} parameters; SQL Server accepts at most {MaxParameters} per request");

        var byName = parameters.GroupBy(p => p.Name.TrimStart('@'), StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
        var script = (TSqlScript)fragment;
        foreach (var statement in script.Batches.SelectMany(b => b.Statements))
        {
            if (statement is PredicateSetStatement or SetTransactionIsolationLevelStatement)
                continue;
            var text = sql.Substring(statement.StartOffset, statement.FragmentLength);
            var tags = LeadingComments(statement);
            texts.Add(tags.Length > 0 ? tags + " " + text : text);
            CheckConversions(statement, byName, problems);
            CheckLocks(statement, tags, problems);
        }

        return problems;
    }

    private static string LeadingComments(TSqlStatement statement)
    {
        var tokens = statement.ScriptTokenStream;
        if (tokens is null)
            return "";
        var comments = new List<string>();
        for (var i = statement.FirstTokenIndex - 1; i >= 0; i--)
        {
            var token = tokens[i];
            if (token.TokenType == TSqlTokenType.SingleLineComment)
                comments.Insert(0, token.Text.Trim());
            else if (token.TokenType is not TSqlTokenType.WhiteSpace)
                break;
        }

        return string.Join(" ", comments);
    }

    private static void CheckLocks(TSqlStatement statement, string tags, List<string> problems)
    {
        if (statement is UpdateStatement update)
        {
            var noOp = update.UpdateSpecification.SetClauses.OfType<AssignmentSetClause>()
                .All(c => c.NewValue is ColumnReferenceExpression value && c.Column is not null
                          && value.MultiPartIdentifier.Identifiers[^1].Value == c.Column.MultiPartIdentifier.Identifiers[^1].Value);
            if (!noOp)
                return;
            var keys = new ComparisonFinder();
            update.UpdateSpecification.WhereClause?.Accept(keys);
            var byId = keys.Equalities.Any(c => c.MultiPartIdentifier.Identifiers[^1].Value == "Id");
            if (!byId)
                problems.Add("a no-op update (SET x = x), written to take a row lock, does not narrow to one row by Id: it would lock a range or escalate");
            return;
        }

        if (!tags.Contains(RowLockTag, StringComparison.Ordinal))
            return;
        var hints = new HintFinder();
        statement.Accept(hints);
        if (!hints.Locks)
            problems.Add($"tagged {RowLockTag} but reads without WITH (UPDLOCK) or (XLOCK): the lock it is meant to take is not taken");
    }

    private static void CheckConversions(TSqlStatement statement, IReadOnlyDictionary<string, RecordedParameter> parameters, List<string> problems)
    {
        var tables = new TableFinder();
        statement.Accept(tables);
        var comparisons = new ComparisonFinder();
        statement.Accept(comparisons);
        foreach (var (column, variable) in comparisons.Pairs)
        {
            if (!parameters.TryGetValue(variable.Name.TrimStart('@'), out var parameter))
                continue;
            if (parameter.Type is not (SqlDbType.NVarChar or SqlDbType.NChar or SqlDbType.NText))
                continue;
            var identifiers = column.MultiPartIdentifier?.Identifiers;
            if (identifiers is null || identifiers.Count == 0)
                continue;
            var name = identifiers[^1].Value;
            var candidates = identifiers.Count > 1 && tables.Aliases.TryGetValue(identifiers[^2].Value, out var table)
                ? [table]
                : tables.Aliases.Values.Distinct().ToList();
            var types = candidates
                .Select(t => Columns.TryGetValue(t, out var cols) && cols.TryGetValue(name, out var type) ? type : null)
                .Where(t => t is not null)
                .ToList();
            if (types.Count > 0 && types.All(t => t!.StartsWith("char", StringComparison.OrdinalIgnoreCase) || t.StartsWith("varchar", StringComparison.OrdinalIgnoreCase)))
                problems.Add($"parameter {variable.Name} is {parameter.Type}({parameter.Size}) but column {name} is {types[0]}: SQL Server converts the column (implicit conversion, index scan)");
        }
    }

    private static IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ReadColumnTypes()
    {
        using var db = SqlServerDryRun.Instance.CreateShadowContext();
        var result = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var entity in db.Model.GetEntityTypes())
        {
            if (entity.GetTableName() is not { } tableName)
                continue;
            var store = StoreObjectIdentifier.Table(tableName, entity.GetSchema());
            if (!result.TryGetValue(tableName, out var existing))
                result[tableName] = existing = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var columns = (Dictionary<string, string>)existing;
            foreach (var property in entity.GetProperties())
            {
                if (property.GetColumnName(store) is { } column && property.GetColumnType(store) is { } type)
                    columns[column] = type;
            }
        }

        return result;
    }

    private sealed class TableFinder : TSqlFragmentVisitor
    {
        public Dictionary<string, string> Aliases { get; } = new(StringComparer.OrdinalIgnoreCase);

        public override void Visit(NamedTableReference node)
        {
            var table = node.SchemaObject.BaseIdentifier.Value;
            Aliases[node.Alias?.Value ?? table] = table;
        }
    }

    private sealed class ComparisonFinder : TSqlFragmentVisitor
    {
        public List<(ColumnReferenceExpression Column, VariableReference Variable)> Pairs { get; } = [];

        /// <summary>Columns compared for equality with a parameter or a literal.</summary>
        public List<ColumnReferenceExpression> Equalities { get; } = [];

        public override void Visit(BooleanComparisonExpression node)
        {
            Add(node.FirstExpression, node.SecondExpression);
            if (node.ComparisonType == BooleanComparisonType.Equals)
            {
                if (Unwrap(node.FirstExpression) is ColumnReferenceExpression a && Unwrap(node.SecondExpression) is VariableReference or Literal)
                    Equalities.Add(a);
                if (Unwrap(node.SecondExpression) is ColumnReferenceExpression b && Unwrap(node.FirstExpression) is VariableReference or Literal)
                    Equalities.Add(b);
            }
        }

        public override void Visit(InPredicate node)
        {
            foreach (var value in node.Values)
                Add(node.Expression, value);
        }

        public override void Visit(LikePredicate node) => Add(node.FirstExpression, node.SecondExpression);

        private void Add(ScalarExpression a, ScalarExpression b)
        {
            a = Unwrap(a);
            b = Unwrap(b);
            if (a is ColumnReferenceExpression column && b is VariableReference variable)
                Pairs.Add((column, variable));
            else if (b is ColumnReferenceExpression column2 && a is VariableReference variable2)
                Pairs.Add((column2, variable2));
        }

        private static ScalarExpression Unwrap(ScalarExpression e) => e is ParenthesisExpression p ? Unwrap(p.Expression) : e;
    }

    private sealed class HintFinder : TSqlFragmentVisitor
    {
        public bool Locks { get; private set; }

        public override void Visit(TableHint node)
        {
            if (node.HintKind is TableHintKind.UpdLock or TableHintKind.XLock)
                Locks = true;
        }
    }
}
