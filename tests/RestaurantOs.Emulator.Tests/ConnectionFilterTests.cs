using RestaurantOs.Emulator.Filters;

namespace RestaurantOs.Emulator.Tests;

/// <summary>Table-driven checks of the OData filter evaluator (the wire behaviour is covered in the conformance suite).</summary>
public sealed class ConnectionFilterTests
{
    private static readonly FilterSubject Alice = new("c1", "alice", ["g1", "g2"], "json.webpubsub.azure.v1");
    private static readonly FilterSubject Anonymous = new("c2", null, [], null);

    [Theory]
    [InlineData("userId eq 'alice'", true)]
    [InlineData("userId eq 'ALICE'", false)]
    [InlineData("UserId Eq 'alice'", true)]
    [InlineData("connectionId ne 'c1'", false)]
    [InlineData("'g1' in groups and 'g3' in groups", false)]
    [InlineData("'g1' in groups or 'g3' in groups", true)]
    [InlineData("not 'g3' in groups", false)] // not binds tightest: (not 'g3') is a type error — see the invalid list
    [InlineData("not ('g3' in groups)", true)]
    [InlineData("userId eq 'bob' or userId eq 'alice' and 'g3' in groups", false)]
    [InlineData("userId eq 'alice' or userId eq 'bob' and 'g3' in groups", true)]
    [InlineData("userId in ('bob', 'alice')", true)]
    [InlineData("userId in ('alice')", true)]
    [InlineData("length(groups) eq 2", true)]
    [InlineData("length(userId) ge 5 and length(userId) lt 6", true)]
    [InlineData("userId gt 'aaa' and userId le 'alice'", true)]
    [InlineData("indexof(userId, 'ice') eq 2", true)]
    [InlineData("substring(userId, 1, 2) eq 'li'", true)]
    [InlineData("substring(userId, 10) eq ''", true)]
    [InlineData("concat(concat(userId, '-'), connectionId) eq 'alice-c1'", true)]
    [InlineData("trim(' alice ') eq userId", true)]
    [InlineData("toupper(userId) eq 'ALICE' and tolower('ALICE') eq userId", true)]
    [InlineData("contains(userId, 'lic') and startswith(userId, 'al') and endswith(userId, 'ce')", true)]
    [InlineData("protocol eq 'json.webpubsub.azure.v1'", true)]
    [InlineData("userId eq 'o''neil'", false)]
    [InlineData("true", true)]
    [InlineData("false or (true and not false)", true)]
    [InlineData("userId ne null", true)]
    public void Evaluates_against_a_connection(string filter, bool expected)
    {
        if (filter == "not 'g3' in groups")
        {
            // Documented precedence: this parses as (not 'g3') in groups, which is a type error.
            Assert.False(ConnectionFilter.TryParse(filter, out _, out _));
            return;
        }

        Assert.True(ConnectionFilter.TryParse(filter, out var parsed, out var error), error);
        Assert.Equal(expected, parsed.Matches(Alice));
    }

    [Theory]
    [InlineData("userId eq null", true)]
    [InlineData("userId ne null", false)]
    [InlineData("tolower(userId) eq 'x'", false)]
    [InlineData("length(groups) eq 0", true)]
    [InlineData("not (userId eq 'x')", true)]
    public void Null_user_ids_behave_like_odata_nulls(string filter, bool expected)
    {
        Assert.True(ConnectionFilter.TryParse(filter, out var parsed, out var error), error);
        Assert.Equal(expected, parsed.Matches(Anonymous));
    }

    [Fact]
    public void Escaped_quote_in_a_literal_matches_a_quote()
    {
        Assert.True(ConnectionFilter.TryParse("userId eq 'o''neil'", out var parsed, out _));
        Assert.True(parsed.Matches(new FilterSubject("c", "o'neil", [], null)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("userId")]
    [InlineData("not length(userId) gt 5")]
    [InlineData("userId eq 1")]
    [InlineData("length(groups) eq 'x'")]
    [InlineData("userId eq 'a' or")]
    [InlineData("(userId eq 'a'")]
    [InlineData("userId eq 'a')")]
    [InlineData("userId ~ 'a'")]
    [InlineData("unknownfn(userId) eq 'a'")]
    [InlineData("startswith(userId) eq true")]
    [InlineData("groups eq 'g1'")]
    [InlineData("'a' in ('b', groups)")]
    public void Rejects_invalid_filters_with_a_message(string filter)
    {
        Assert.False(ConnectionFilter.TryParse(filter, out var parsed, out var error));
        Assert.Null(parsed);
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Theory]
    [InlineData("'g1' in groups", "g1")]
    [InlineData("'g1' in groups or 'g2' in groups", "g1,g2")]
    [InlineData("('g1') in groups", "g1")]
    [InlineData("('g1' in groups)", "g1")]
    [InlineData("userId eq 'x' and 'g1' in groups", "g1")]
    [InlineData("('g1' in groups or 'g2' in groups) and 'g3' in groups", "g3")]
    [InlineData("'g1' in groups or userId eq 'x'", null)]
    [InlineData("not ('g1' in groups)", null)]
    [InlineData("tolower('G1') in groups", null)]
    [InlineData("userId in ('g1', 'g2')", null)]
    [InlineData("('g1' in groups) eq true", null)]
    public void Knows_which_groups_a_filter_can_match_in(string filter, string? expected)
    {
        Assert.True(ConnectionFilter.TryParse(filter, out var parsed, out var error), error);

        Assert.Equal(expected, parsed.CandidateGroups is { } groups ? string.Join(',', groups.Order(StringComparer.Ordinal)) : null);
    }

    [Fact]
    public void A_connection_outside_the_candidate_groups_never_matches()
    {
        string[] filters =
        [
            "'a' in groups or 'b' in groups", "'a' in groups and 'b' in groups", "('a' in groups or 'b' in groups) and 'c' in groups",
            "'a' in groups and ('b' in groups or 'c' in groups)", "('a' in groups and userId eq 'u') or 'c' in groups",
            "'a' in groups or ('b' in groups and not ('c' in groups))",
        ];
        string[][] memberships = [[], ["a"], ["b"], ["c"], ["a", "b"], ["a", "c"], ["b", "c"], ["a", "b", "c"], ["d"]];
        foreach (var filter in filters)
        {
            Assert.True(ConnectionFilter.TryParse(filter, out var parsed, out var error), error);
            var candidates = Assert.IsType<HashSet<string>>(parsed.CandidateGroups, exactMatch: false);
            foreach (var groups in memberships)
            {
                var subject = new FilterSubject("c", "u", groups, null);
                Assert.True(!parsed.Matches(subject) || groups.Any(candidates.Contains), $"{filter} matched [{string.Join(',', groups)}] outside [{string.Join(',', candidates)}]");
            }
        }
    }
}
