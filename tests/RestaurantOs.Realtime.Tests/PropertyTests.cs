using System.Text;
using System.Text.Json;
using CsCheck;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Protocol;
using RestaurantOs.Realtime.Routing;

namespace RestaurantOs.Realtime.Tests;

/// <summary>Invariants checked over random inputs.</summary>
public sealed class PropertyTests
{
    private static readonly Gen<string> EventName = Gen.OneOf(EventTypes.Broadcast.ToArray());
    private static readonly Gen<string?> Table = Gen.OneOf<string?>(null, "T1", "T2", "T3", "patio-4");

    private abstract record Op;

    private sealed record SubOp(string[] Events, string? Table) : Op;

    private sealed record UnsubOp(string[] Events) : Op;

    private static readonly Gen<Op> Ops = Gen.OneOf<Op>(
        Gen.Select(EventName.Array[1, 4], Table, (e, t) => (Op)new SubOp(e, t)),
        EventName.Array[1, 3].Select(e => (Op)new UnsubOp(e)));

    [Fact]
    public void Random_subscription_sequences_keep_the_invariants()
    {
        Gen.Select(Gen.Enum<Role>(), Ops.Array[0, 25]).Sample((role, ops) =>
        {
            var who = new ConnectionIdentity("u", TestData.Restaurant, role, role == Role.Customer ? [Guid.NewGuid()] : []);
            var set = SubscriptionSet.Default;
            foreach (var op in ops)
            {
                var before = set;
                var change = op switch
                {
                    SubOp s => SubscriptionRules.Apply(who, set, new SubscribeMessage([.. s.Events.Distinct()], s.Table is null ? new Dictionary<string, string>() : new() { ["table_number"] = s.Table })),
                    UnsubOp u => SubscriptionRules.Apply(who, set, new UnsubscribeMessage([.. u.Events.Distinct()])),
                    _ => throw new InvalidOperationException(),
                };

                if (!change.Succeeded)
                {
                    Assert.Same(before, change.Next);
                    Assert.Contains(change.Error!.Code, new[] { ErrorCodes.Forbidden, ErrorCodes.SubscriptionLimit, ErrorCodes.InvalidFilter });
                }

                set = change.Next;
                var effective = set.Effective(role);
                Assert.True(!set.Explicit || set.Items.Count <= ProtocolLimits.MaxSubscriptions);
                Assert.All(effective, s => Assert.True(RolePermissions.CanReceive(role, s.Event)));
                Assert.Equal(effective.Count, effective.Distinct().Count());
                // Never both an unfiltered and a filtered subscription of one event.
                Assert.All(effective.Where(s => s.TableNumber is null), s => Assert.DoesNotContain(effective, o => o.Event == s.Event && o.TableNumber is not null));

                var groups = GroupRouting.GroupsFor(who, set);
                Assert.All(groups, g => Assert.StartsWith($"r.{TestData.Restaurant:N}.", g, StringComparison.Ordinal));
                if (role == Role.Customer)
                {
                    Assert.All(groups, g => Assert.Contains($".o.{who.OrderIds[0]:N}.", g, StringComparison.Ordinal));
                }
            }
        }, iter: 2_000);
    }

    [Fact]
    public void Valid_messages_round_trip_through_the_parser()
    {
        var subscribe = Gen.Select(EventName.Array[1, 32], Table).Select((events, table) =>
        {
            var json = JsonSerializer.Serialize(events);
            var text = table is null ? $$"""{"type":"subscribe","events":{{json}}}""" : $$$"""{"type":"subscribe","events":{{{json}}},"filters":{"table_number":"{{{table}}}"}}""";
            return (text, Check: (Action<ClientMessage>)(m =>
            {
                var s = Assert.IsType<SubscribeMessage>(m);
                Assert.Equal(events.Distinct(), s.Events);
                Assert.Equal(table, s.Filters.GetValueOrDefault("table_number"));
            }));
        });
        var resume = Gen.Long[0, long.MaxValue].Select(since => ($$"""{"type":"resume","since":{{since}}}""", Check: (Action<ClientMessage>)(m => Assert.Equal(since, Assert.IsType<ResumeMessage>(m).Since))));
        var auth = Gen.String[1, 200].Where(t => !string.IsNullOrWhiteSpace(t)).Select(token => ($$"""{"type":"auth","token":{{JsonSerializer.Serialize(token)}}}""", Check: (Action<ClientMessage>)(m => Assert.Equal(token, Assert.IsType<AuthMessage>(m).Token))));
        Gen.OneOf(subscribe, resume, auth).Sample(c =>
        {
            var result = ClientMessageParser.Parse(Encoding.UTF8.GetBytes(c.Item1));
            Assert.True(result.Succeeded, result.Error?.Message);
            c.Check(result.Message!);
        }, iter: 3_000);
    }
}
