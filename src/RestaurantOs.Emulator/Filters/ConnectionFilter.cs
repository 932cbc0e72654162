using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace RestaurantOs.Emulator.Filters;

/// <summary>The facts about one connection a filter can test.</summary>
internal readonly record struct FilterSubject(string ConnectionId, string? UserId, IReadOnlyCollection<string> Groups, string? Protocol);

/// <summary>
/// The OData subset Web PubSub accepts in <c>filter</c>: identifiers <c>userId</c>, <c>connectionId</c>, <c>groups</c>
/// (and <c>protocol</c>, as Microsoft's emulator), <c>and</c>/<c>or</c>/<c>not</c>, comparisons, <c>in</c>, string
/// functions, literals with <c>''</c> escaping. Precedence, high to low: <c>not</c>; comparisons; <c>and</c>; <c>or</c>.
/// Parsed and type-checked once, evaluated per connection without allocation-heavy work.
/// </summary>
internal sealed class ConnectionFilter
{
    private readonly Func<FilterSubject, object?> _evaluate;

    private ConnectionFilter(Func<FilterSubject, object?> evaluate, IReadOnlySet<string>? candidateGroups)
    {
        _evaluate = evaluate;
        CandidateGroups = candidateGroups;
    }

    /// <summary>
    /// When set, only members of at least one of these groups can match (the filter is built from
    /// <c>'g' in groups</c> terms joined by <c>or</c>, or <c>and</c>-ed with anything): a send evaluates the filter on
    /// those members instead of on every connection of the hub. Null when any connection may match.
    /// </summary>
    public IReadOnlySet<string>? CandidateGroups { get; }

    public bool Matches(FilterSubject subject) => _evaluate(subject) is true;

    public static bool TryParse(string text, [NotNullWhen(true)] out ConnectionFilter? filter, out string error)
    {
        try
        {
            var parser = new Parser(Tokenizer.Tokenize(text));
            var node = parser.ParseExpression();
            parser.ExpectEnd();
            if (node.Type != ValueType.Boolean)
            {
                throw new FilterSyntaxException($"The filter must be a boolean expression, not a {node.Type}.");
            }

            filter = new ConnectionFilter(node.Evaluate, node.Groups);
            error = "";
            return true;
        }
        catch (FilterSyntaxException ex)
        {
            filter = null;
            error = ex.Message;
            return false;
        }
    }

    private enum ValueType { Boolean, String, Number, Null, Collection, List }

    private enum TokenKind { Identifier, String, Number, OpenParen, CloseParen, Comma, End }

    private readonly record struct Token(TokenKind Kind, string Text, int Position);

    /// <summary>A typed expression. <paramref name="ListForm"/> is set on a parenthesised single value, which is also a one-element list for 'in'.</summary>
    private sealed record Node(ValueType Type, Func<FilterSubject, object?> Evaluate, Func<FilterSubject, object?>? ListForm = null)
    {
        /// <summary>The value of a string literal.</summary>
        public string? Literal { get; init; }

        /// <summary>The <c>groups</c> identifier.</summary>
        public bool IsGroups { get; init; }

        /// <summary>A boolean that can be true only for members of one of these groups (see <see cref="CandidateGroups"/>).</summary>
        public IReadOnlySet<string>? Groups { get; init; }
    }

    private sealed class FilterSyntaxException(string message) : Exception(message);

    private static class Tokenizer
    {
        public static List<Token> Tokenize(string text)
        {
            var tokens = new List<Token>();
            var i = 0;
            while (i < text.Length)
            {
                var c = text[i];
                if (char.IsWhiteSpace(c))
                {
                    i++;
                }
                else if (c == '(')
                {
                    tokens.Add(new(TokenKind.OpenParen, "(", i++));
                }
                else if (c == ')')
                {
                    tokens.Add(new(TokenKind.CloseParen, ")", i++));
                }
                else if (c == ',')
                {
                    tokens.Add(new(TokenKind.Comma, ",", i++));
                }
                else if (c == '\'')
                {
                    var start = i++;
                    var value = new StringBuilder();
                    while (true)
                    {
                        if (i >= text.Length)
                        {
                            throw new FilterSyntaxException($"Unterminated string literal at position {start}.");
                        }

                        if (text[i] == '\'')
                        {
                            // '' inside a literal is an escaped quote.
                            if (i + 1 < text.Length && text[i + 1] == '\'')
                            {
                                value.Append('\'');
                                i += 2;
                                continue;
                            }

                            i++;
                            break;
                        }

                        value.Append(text[i++]);
                    }

                    tokens.Add(new(TokenKind.String, value.ToString(), start));
                }
                else if (char.IsAsciiDigit(c) || (c == '-' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
                {
                    var start = i++;
                    while (i < text.Length && char.IsAsciiDigit(text[i]))
                    {
                        i++;
                    }

                    tokens.Add(new(TokenKind.Number, text[start..i], start));
                }
                else if (char.IsLetter(c) || c == '_')
                {
                    var start = i++;
                    while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_'))
                    {
                        i++;
                    }

                    tokens.Add(new(TokenKind.Identifier, text[start..i], start));
                }
                else
                {
                    throw new FilterSyntaxException($"Unexpected character '{c}' at position {i}.");
                }
            }

            tokens.Add(new(TokenKind.End, "", text.Length));
            return tokens;
        }
    }

    private sealed class Parser(List<Token> tokens)
    {
        private const int MaxDepth = 64;
        private int _position;
        private int _depth;

        private Token Current => tokens[_position];

        public void ExpectEnd()
        {
            if (Current.Kind != TokenKind.End)
            {
                throw new FilterSyntaxException($"Unexpected '{Current.Text}' at position {Current.Position}.");
            }
        }

        public Node ParseExpression()
        {
            if (++_depth > MaxDepth)
            {
                throw new FilterSyntaxException("The filter is nested too deeply.");
            }

            var left = ParseAnd();
            while (IsKeyword("or"))
            {
                _position++;
                var right = ParseAnd();
                left = Logical(left, right, isAnd: false);
            }

            _depth--;
            return left;
        }

        private Node ParseAnd()
        {
            var left = ParseComparison();
            while (IsKeyword("and"))
            {
                _position++;
                var right = ParseComparison();
                left = Logical(left, right, isAnd: true);
            }

            return left;
        }

        private static Node Logical(Node left, Node right, bool isAnd)
        {
            RequireBoolean(left, isAnd ? "and" : "or");
            RequireBoolean(right, isAnd ? "and" : "or");
            var l = left.Evaluate;
            var r = right.Evaluate;
            // 'or' can match only where either side can; 'and' only where both can, so either side's groups bound it.
            var groups = isAnd
                ? (left.Groups, right.Groups) switch
                {
                    (null, var g) => g,
                    (var g, null) => g,
                    var (a, b) => a.Count <= b.Count ? a : b,
                }
                : left.Groups is { } lg && right.Groups is { } rg ? new HashSet<string>(lg.Concat(rg), StringComparer.Ordinal) : null;
            return isAnd
                ? new Node(ValueType.Boolean, s => l(s) is true && r(s) is true) { Groups = groups }
                : new Node(ValueType.Boolean, s => l(s) is true || r(s) is true) { Groups = groups };
        }

        private Node ParseComparison()
        {
            var left = ParseUnary();
            if (Current.Kind != TokenKind.Identifier)
            {
                return left;
            }

            var op = Current.Text.ToLowerInvariant();
            if (op is not ("eq" or "ne" or "gt" or "ge" or "lt" or "le" or "in"))
            {
                return left;
            }

            _position++;
            var right = ParseUnary();
            return op == "in" ? In(left, right) : Compare(op, left, right);
        }

        private static Node In(Node left, Node right)
        {
            var list = right.Type is ValueType.Collection or ValueType.List ? right.Evaluate : right.ListForm;
            if (list is null)
            {
                throw new FilterSyntaxException("The right side of 'in' must be 'groups' or a parenthesised list.");
            }

            if (left.Type is not (ValueType.String or ValueType.Number or ValueType.Null))
            {
                throw new FilterSyntaxException($"The left side of 'in' must be a string or number, not a {left.Type}.");
            }

            var l = left.Evaluate;
            var r = list;
            return new Node(ValueType.Boolean, s =>
            {
                var item = l(s);
                return r(s) is IEnumerable<object?> values && values.Any(v => Equals(v, item));
            })
            {
                Groups = left.Literal is { } group && right.IsGroups ? new HashSet<string>([group], StringComparer.Ordinal) : null,
            };
        }

        private static Node Compare(string op, Node left, Node right)
        {
            var comparable = left.Type == right.Type || left.Type == ValueType.Null || right.Type == ValueType.Null;
            if (!comparable || left.Type is ValueType.Collection or ValueType.List || right.Type is ValueType.Collection or ValueType.List)
            {
                throw new FilterSyntaxException($"Cannot compare a {left.Type} with a {right.Type} using '{op}'.");
            }

            if (op is not ("eq" or "ne") && (left.Type == ValueType.Boolean || right.Type == ValueType.Boolean))
            {
                throw new FilterSyntaxException($"'{op}' cannot compare booleans.");
            }

            var l = left.Evaluate;
            var r = right.Evaluate;
            return new Node(ValueType.Boolean, s =>
            {
                var a = l(s);
                var b = r(s);
                if (op == "eq")
                {
                    return Equals(a, b);
                }

                if (op == "ne")
                {
                    return !Equals(a, b);
                }

                if (a is null || b is null)
                {
                    return false;
                }

                var order = a is string sa ? string.CompareOrdinal(sa, (string)b) : ((long)a).CompareTo((long)b);
                return op switch
                {
                    "gt" => order > 0,
                    "ge" => order >= 0,
                    "lt" => order < 0,
                    "le" => order <= 0,
                    _ => throw new InvalidOperationException($"Unknown operator {op}."),
                };
            });
        }

        private Node ParseUnary()
        {
            if (IsKeyword("not"))
            {
                _position++;
                var operand = ParseUnary();
                RequireBoolean(operand, "not");
                var f = operand.Evaluate;
                return new Node(ValueType.Boolean, s => f(s) is not true);
            }

            return ParsePrimary();
        }

        private Node ParsePrimary()
        {
            var token = Current;
            switch (token.Kind)
            {
                case TokenKind.String:
                    _position++;
                    return Constant(ValueType.String, token.Text);
                case TokenKind.Number:
                    _position++;
                    if (!long.TryParse(token.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
                    {
                        throw new FilterSyntaxException($"Number '{token.Text}' is out of range.");
                    }

                    return Constant(ValueType.Number, number);
                case TokenKind.OpenParen:
                    return ParseParenthesised();
                case TokenKind.Identifier:
                    _position++;
                    if (Current.Kind == TokenKind.OpenParen)
                    {
                        return ParseFunction(token);
                    }

                    return token.Text.ToLowerInvariant() switch
                    {
                        "true" => Constant(ValueType.Boolean, true),
                        "false" => Constant(ValueType.Boolean, false),
                        "null" => Constant(ValueType.Null, null),
                        "userid" => new Node(ValueType.String, s => s.UserId),
                        "connectionid" => new Node(ValueType.String, s => s.ConnectionId),
                        "protocol" => new Node(ValueType.String, s => s.Protocol),
                        "groups" => new Node(ValueType.Collection, s => s.Groups) { IsGroups = true },
                        _ => throw new FilterSyntaxException($"Unknown identifier '{token.Text}' at position {token.Position}; use userId, connectionId or groups."),
                    };
                default:
                    throw new FilterSyntaxException(token.Kind == TokenKind.End
                        ? "The filter ended unexpectedly."
                        : $"Unexpected '{token.Text}' at position {token.Position}.");
            }
        }

        private Node ParseParenthesised()
        {
            _position++;
            var items = new List<Node> { ParseExpression() };
            while (Current.Kind == TokenKind.Comma)
            {
                _position++;
                items.Add(ParseExpression());
            }

            Expect(TokenKind.CloseParen);
            if (items.Count == 1)
            {
                // '(x)' is a grouped value, and also a one-element list where 'in' needs one.
                var single = items[0];
                return single.Type is ValueType.String or ValueType.Number
                    ? single with { ListForm = s => new object?[] { single.Evaluate(s) } }
                    : single;
            }

            if (items.Any(i => i.Type is not (ValueType.String or ValueType.Number or ValueType.Null)))
            {
                throw new FilterSyntaxException("A list may contain only strings, numbers and null.");
            }

            var evaluators = items.Select(i => i.Evaluate).ToArray();
            return new Node(ValueType.List, s => evaluators.Select(e => e(s)).ToArray());
        }

        private Node ParseFunction(Token name)
        {
            Expect(TokenKind.OpenParen);
            var args = new List<Node>();
            if (Current.Kind != TokenKind.CloseParen)
            {
                args.Add(ParseExpression());
                while (Current.Kind == TokenKind.Comma)
                {
                    _position++;
                    args.Add(ParseExpression());
                }
            }

            Expect(TokenKind.CloseParen);
            var function = name.Text.ToLowerInvariant();
            switch (function)
            {
                case "tolower":
                    return StringFunction(function, args, 1, a => ((string)a[0]!).ToLowerInvariant());
                case "toupper":
                    return StringFunction(function, args, 1, a => ((string)a[0]!).ToUpperInvariant());
                case "trim":
                    return StringFunction(function, args, 1, a => ((string)a[0]!).Trim());
                case "concat":
                    return StringFunction(function, args, 2, a => (string)a[0]! + (string)a[1]!);
                case "startswith":
                    return Typed(function, args, ValueType.Boolean, [ValueType.String, ValueType.String], a => ((string)a[0]!).StartsWith((string)a[1]!, StringComparison.Ordinal));
                case "endswith":
                    return Typed(function, args, ValueType.Boolean, [ValueType.String, ValueType.String], a => ((string)a[0]!).EndsWith((string)a[1]!, StringComparison.Ordinal));
                case "contains":
                    return Typed(function, args, ValueType.Boolean, [ValueType.String, ValueType.String], a => ((string)a[0]!).Contains((string)a[1]!, StringComparison.Ordinal));
                case "indexof":
                    return Typed(function, args, ValueType.Number, [ValueType.String, ValueType.String], a => (long)((string)a[0]!).IndexOf((string)a[1]!, StringComparison.Ordinal));
                case "substring":
                    return Substring(args);
                case "length":
                    if (args.Count != 1 || args[0].Type is not (ValueType.String or ValueType.Collection or ValueType.Null))
                    {
                        throw new FilterSyntaxException("length takes one string or collection argument.");
                    }

                    var arg = args[0].Evaluate;
                    return new Node(ValueType.Number, s => arg(s) switch
                    {
                        string text => (long)text.Length,
                        IReadOnlyCollection<string> collection => (long)collection.Count,
                        _ => null,
                    });
                default:
                    throw new FilterSyntaxException($"Unknown function '{name.Text}' at position {name.Position}.");
            }
        }

        private static Node Substring(List<Node> args)
        {
            if (args.Count is not (2 or 3))
            {
                throw new FilterSyntaxException("substring takes 2 or 3 arguments.");
            }

            var types = args.Count == 2 ? new[] { ValueType.String, ValueType.Number } : [ValueType.String, ValueType.Number, ValueType.Number];
            return Typed("substring", args, ValueType.String, types, a =>
            {
                var text = (string)a[0]!;
                var start = (int)Math.Clamp((long)a[1]!, 0, text.Length);
                var length = a.Length == 3 ? (int)Math.Clamp((long)a[2]!, 0, text.Length - start) : text.Length - start;
                return text.Substring(start, length);
            });
        }

        private static Node StringFunction(string name, List<Node> args, int count, Func<object?[], object?> body) =>
            Typed(name, args, ValueType.String, Enumerable.Repeat(ValueType.String, count).ToArray(), body);

        private static Node Typed(string name, List<Node> args, ValueType result, ValueType[] parameters, Func<object?[], object?> body)
        {
            if (args.Count != parameters.Length)
            {
                throw new FilterSyntaxException($"{name} takes {parameters.Length} argument(s), got {args.Count}.");
            }

            for (var i = 0; i < parameters.Length; i++)
            {
                if (args[i].Type != parameters[i] && args[i].Type != ValueType.Null)
                {
                    throw new FilterSyntaxException($"Argument {i + 1} of {name} must be a {parameters[i]}, not a {args[i].Type}.");
                }
            }

            var evaluators = args.Select(a => a.Evaluate).ToArray();
            return new Node(result, s =>
            {
                var values = new object?[evaluators.Length];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = evaluators[i](s);
                    if (values[i] is null)
                    {
                        // Functions of null are null (OData), so comparisons against them are false.
                        return null;
                    }
                }

                return body(values);
            });
        }

        private static Node Constant(ValueType type, object? value) => new(type, _ => value) { Literal = value as string };

        private static void RequireBoolean(Node node, string op)
        {
            if (node.Type != ValueType.Boolean)
            {
                throw new FilterSyntaxException($"'{op}' needs a boolean operand, not a {node.Type} (write 'not (a gt b)' rather than 'not a gt b').");
            }
        }

        private bool IsKeyword(string keyword) =>
            Current.Kind == TokenKind.Identifier && string.Equals(Current.Text, keyword, StringComparison.OrdinalIgnoreCase);

        private void Expect(TokenKind kind)
        {
            if (Current.Kind != kind)
            {
                throw new FilterSyntaxException(Current.Kind == TokenKind.End
                    ? $"The filter ended where '{(kind == TokenKind.CloseParen ? ")" : "(")}' was expected."
                    : $"Expected '{(kind == TokenKind.CloseParen ? ")" : "(")}' at position {Current.Position}, found '{Current.Text}'.");
            }

            _position++;
        }
    }
}
