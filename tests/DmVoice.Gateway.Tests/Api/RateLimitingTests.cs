using System.Globalization;
using System.Net;

namespace DmVoice.Gateway.Tests.Api;

/// <summary>Gateway:RequestsPerMinute is per user: one user over it gets 429s, nobody else does.</summary>
public sealed class RateLimitingTests : IAsyncLifetime
{
    private const int Limit = 5;
    private GatewayServer _server = null!;

    public async ValueTask InitializeAsync() =>
        _server = await GatewayServer.StartAsync(s => s["Gateway:RequestsPerMinute"] = Limit.ToString(CultureInfo.InvariantCulture));

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_request_over_the_limit_is_429_rate_limited_with_retry_after_and_other_users_are_unaffected()
    {
        await using var greedy = Rest.NewUser(_server.BaseAddress, "greedy");
        await using var other = Rest.NewUser(_server.BaseAddress, "other");

        for (var i = 0; i < Limit; i++)
        {
            await Rest.AssertStatusAsync(await greedy.Http.GetAsync("/dm-groups"), HttpStatusCode.OK);
        }

        // Any endpoint counts; the refusal comes before the endpoint runs, so nothing is created.
        var refused = await greedy.SendAsync("POST", "/dm-groups", $$"""{"memberIds":["{{other.UserId}}"]}""");
        var problem = await Rest.AssertProblemAsync(refused, HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);
        var retryAfter = int.Parse(Assert.Single(refused.Headers.GetValues("Retry-After")), CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);
        Assert.Equal(retryAfter, problem.GetProperty("retryAfterSeconds").GetInt32());
        await Rest.AssertProblemAsync(await greedy.Http.GetAsync("/me/voice"), HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);

        // Another user has their own budget (and sees that nothing was created for them).
        for (var i = 0; i < Limit; i++)
        {
            var response = await other.Http.GetAsync("/dm-groups");
            await Rest.AssertStatusAsync(response, HttpStatusCode.OK);
            Assert.Equal("""{"dmGroups":[],"nextCursor":null}""", await response.Content.ReadAsStringAsync());
        }

        // Probes and scrapes are never limited.
        using var anonymous = new HttpClient { BaseAddress = _server.BaseAddress };
        for (var i = 0; i < Limit * 2; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(_server.MetricsAddress)).StatusCode);
        }
    }

    [Fact]
    public async Task A_user_keeps_one_budget_across_tokens_and_anonymous_callers_share_one_per_address()
    {
        var userId = TestIds.User("two-tokens");
        await using var phone = VoiceUser.WithToken(_server.BaseAddress, userId, TestTokens.Mint(userId, name: "phone"));
        await using var laptop = VoiceUser.WithToken(_server.BaseAddress, userId, TestTokens.Mint(userId, name: "laptop", expires: DateTime.UtcNow.AddHours(2)));

        for (var i = 0; i < Limit; i++)
        {
            await Rest.AssertStatusAsync(await (i % 2 == 0 ? phone : laptop).Http.GetAsync("/me/missed-calls"), HttpStatusCode.OK);
        }

        await Rest.AssertProblemAsync(await laptop.Http.GetAsync("/me/missed-calls"), HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);
        await Rest.AssertProblemAsync(await phone.Http.GetAsync("/me/missed-calls"), HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);

        // Anonymous callers (here /dev/token, and requests whose token is refused) share their address's budget.
        using var anonymous = new HttpClient { BaseAddress = _server.BaseAddress };
        for (var i = 0; i < Limit - 1; i++)
        {
            await Rest.AssertStatusAsync(await anonymous.SendAsync(Rest.Request("POST", "/dev/token", $$"""{"userId":"anon-{{i}}"}""")), HttpStatusCode.OK);
        }

        await Rest.AssertProblemAsync(await anonymous.GetAsync("/dm-groups"), HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
        await Rest.AssertProblemAsync(await anonymous.SendAsync(Rest.Request("POST", "/dev/token", """{"userId":"anon"}""")), HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);
        await Rest.AssertProblemAsync(await anonymous.GetAsync("/dm-groups"), HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);
        await using var fresh = Rest.NewUser(_server.BaseAddress, "fresh");
        await Rest.AssertStatusAsync(await fresh.Http.GetAsync("/dm-groups"), HttpStatusCode.OK);
    }
}
