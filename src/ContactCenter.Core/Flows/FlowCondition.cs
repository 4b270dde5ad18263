using System.Globalization;
using System.Text.Json;

namespace ContactCenter.Core.Flows;

/// <summary>
/// A branch condition over the session's variables, parsed once when the flow loads:
/// <c>customer.known</c>, <c>not customer.hasOpenConversation</c>, <c>order.status == 'shipped'</c>,
/// <c>http.status == 404 or http.error == 'timeout'</c>, <c>order.total &gt;= 100</c>, <c>question contains 'refund'</c>.
/// A bare variable is true unless it is missing, null, false, 0, "" or "false". Strings compare ignoring case.
/// </summary>
public sealed class FlowCondition
{
    private readonly Expr _root;

    private FlowCondition(string source, Expr root)
    {
        Source = source;
        _root = root;
    }

    public string Source { get; }

    public static FlowCondition Parse(string source)
    {
        var parser = new Parser(Tokenize(source));
        var root = parser.Or();
        if (!parser.AtEnd) throw new FormatException($"unexpected '{parser.Peek}' in condition");
        return new FlowCondition(source, root);
    }

    public bool Evaluate(IReadOnlyDictionary<string, JsonElement> variables) => Truthy(_root.Eval(variables));

    public override string ToString() => Source;

    private static bool Truthy(object? value) => value switch
    {
        null => false,
        bool b => b,
        double d => d != 0,
        string s => s.Length > 0 && !s.Equals("false", StringComparison.OrdinalIgnoreCase),
        _ => true,
    };

    private abstract record Expr
    {
        public abstract object? Eval(IReadOnlyDictionary<string, JsonElement> variables);
    }

    private sealed record Constant(object? Value) : Expr
    {
        public override object? Eval(IReadOnlyDictionary<string, JsonElement> variables) => Value;
    }

    private sealed record Variable(string Name) : Expr
    {
        public override object? Eval(IReadOnlyDictionary<string, JsonElement> variables) =>
            variables.TryGetValue(Name, out var value) ? FlowValues.ToComparable(value) : null;
    }

    private sealed record Not(Expr Operand) : Expr
    {
        public override object? Eval(IReadOnlyDictionary<string, JsonElement> variables) => !Truthy(Operand.Eval(variables));
    }

    private sealed record Logical(string Op, Expr Left, Expr Right) : Expr
    {
        public override object? Eval(IReadOnlyDictionary<string, JsonElement> variables) => Op == "and"
            ? Truthy(Left.Eval(variables)) && Truthy(Right.Eval(variables))
            : Truthy(Left.Eval(variables)) || Truthy(Right.Eval(variables));
    }

    private sealed record Compare(string Op, Expr Left, Expr Right) : Expr
    {
        public override object? Eval(IReadOnlyDictionary<string, JsonElement> variables)
        {
            var left = Left.Eval(variables);
            var right = Right.Eval(variables);
            return Op switch
            {
                "==" => Equal(left, right),
                "!=" => !Equal(left, right),
                "contains" => left is not null && right is not null &&
                              Text(left).Contains(Text(right), StringComparison.OrdinalIgnoreCase),
                _ => Order(left, right) is { } order && Op switch
                {
                    "<" => order < 0,
                    "<=" => order <= 0,
                    ">" => order > 0,
                    _ => order >= 0,
                },
            };
        }

        private static bool Equal(object? left, object? right)
        {
            if (left is null || right is null) return left is null && right is null;
            if (Number(left) is { } a && Number(right) is { } b) return a == b;
            return string.Equals(Text(left), Text(right), StringComparison.OrdinalIgnoreCase);
        }

        private static int? Order(object? left, object? right)
        {
            if (left is null || right is null) return null;
            if (Number(left) is { } a && Number(right) is { } b) return a.CompareTo(b);
            return string.Compare(Text(left), Text(right), StringComparison.OrdinalIgnoreCase);
        }

        private static double? Number(object value) => value switch
        {
            double d => d,
            string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            _ => null,
        };

        private static string Text(object value) => value switch
        {
            bool b => b ? "true" : "false",
            double d => d.ToString(CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };
    }

    private static List<string> Tokenize(string source)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < source.Length)
        {
            var c = source[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c is '\'' or '"')
            {
                var end = source.IndexOf(c, i + 1);
                if (end < 0) throw new FormatException("a quoted text is never closed");
                tokens.Add(source[i..(end + 1)]);
                i = end + 1;
                continue;
            }

            if (c is '(' or ')') { tokens.Add(c.ToString()); i++; continue; }
            var two = i + 1 < source.Length ? source.Substring(i, 2) : "";
            if (two is "==" or "!=" or "<=" or ">=" or "&&" or "||") { tokens.Add(two); i += 2; continue; }
            if (c is '<' or '>' or '!') { tokens.Add(c.ToString()); i++; continue; }
            if (c == '=') throw new FormatException("write '==' to compare, not '='");
            var start = i;
            while (i < source.Length && (char.IsLetterOrDigit(source[i]) || source[i] is '.' or '_' or '-' or '+')) i++;
            if (i == start) throw new FormatException($"unexpected '{c}' in condition");
            tokens.Add(source[start..i]);
        }

        if (tokens.Count == 0) throw new FormatException("the condition is empty");
        return tokens;
    }

    private sealed class Parser(List<string> tokens)
    {
        private int _at;

        public bool AtEnd => _at >= tokens.Count;
        public string Peek => AtEnd ? "" : tokens[_at];

        private bool Accept(params string[] options)
        {
            if (AtEnd || !options.Contains(tokens[_at], StringComparer.OrdinalIgnoreCase)) return false;
            _at++;
            return true;
        }

        public Expr Or()
        {
            var left = And();
            while (Accept("or", "||")) left = new Logical("or", left, And());
            return left;
        }

        private Expr And()
        {
            var left = Unary();
            while (Accept("and", "&&")) left = new Logical("and", left, Unary());
            return left;
        }

        private Expr Unary() => Accept("not", "!") ? new Not(Unary()) : Comparison();

        private Expr Comparison()
        {
            var left = Value();
            if (AtEnd) return left;
            var op = Peek.ToLowerInvariant();
            if (op is not ("==" or "!=" or "<" or "<=" or ">" or ">=" or "contains")) return left;
            _at++;
            return new Compare(op, left, Value());
        }

        private Expr Value()
        {
            if (AtEnd) throw new FormatException("the condition ends too early");
            var token = tokens[_at++];
            if (token == "(")
            {
                var inner = Or();
                if (!Accept(")")) throw new FormatException("a '(' is never closed");
                return inner;
            }

            if (token[0] is '\'' or '"') return new Constant(token[1..^1]);
            if (token is "true" or "false") return new Constant(token == "true");
            if (token == "null") return new Constant(null);
            if (double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)) return new Constant(number);
            if (FlowTemplate.IsVariableName(token) && token is not ("and" or "or" or "not" or "contains")) return new Variable(token);
            throw new FormatException($"unexpected '{token}' in condition");
        }
    }
}
