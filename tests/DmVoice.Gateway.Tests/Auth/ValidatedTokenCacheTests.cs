using System.Net;
using System.Net.Http.Headers;
using DmVoice.Gateway.Observability;
using DmVoice.Gateway.Tests.Api;

namespace DmVoice.Gateway.Tests.Auth;

/// <summary>
/// The validated-token cache in the real gateway: a client's token is validated on its first request and
/// answered from memory on the next ones, REST and hub alike, while a forged token for the same user is
/// refused every time.
/// </summary>
public sealed class ValidatedTokenCacheTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private GatewayServer Server => fixture.Server;

    private MeterProbe Validations() => new(Server, GatewayMetrics.TokenValidationsInstrument, "answer");

    private async Task<HttpResponseMessage> GetWithTokenAsync(string path, string token)
    {
        using var http = new HttpClient { BaseAddress = Server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.GetAsync(path);
    }

    [Fact]
    public async Task The_same_token_works_on_repeated_requests_and_is_validated_only_on_the_first()
    {
        await using var user = fixture.NewUser("repeat");
        using var validations = Validations();

        foreach (var path in new[] { "/dm-groups", "/me/voice", "/dm-groups", "/me/voice", "/dm-groups" })
        {
            await Rest.AssertStatusAsync(await user.Http.GetAsync(path), HttpStatusCode.OK);
        }

        Assert.Equal(1, validations[GatewayMetrics.TokenValidationValidated]);
        Assert.Equal(4, validations[GatewayMetrics.TokenValidationCached]);
    }

    [Fact]
    public async Task A_forged_token_for_the_same_user_is_refused_right_after_the_genuine_one_was_accepted()
    {
        var userId = TestIds.User("forged");
        var expires = DateTime.UtcNow.AddHours(1);
        var genuine = TestTokens.Mint(userId, expires: expires);
        var wrongKey = TestTokens.Mint(userId, key: TestTokens.WrongKey, expires: expires);
        var signature = genuine.LastIndexOf('.') + 10;
        var tampered = genuine[..signature] + (genuine[signature] == 'A' ? 'B' : 'A') + genuine[(signature + 1)..];
        using var validations = Validations();

        await Rest.AssertStatusAsync(await GetWithTokenAsync("/dm-groups", genuine), HttpStatusCode.OK);
        await Rest.AssertStatusAsync(await GetWithTokenAsync("/dm-groups", genuine), HttpStatusCode.OK);
        foreach (var forged in new[] { wrongKey, tampered, wrongKey, tampered })
        {
            await Rest.AssertProblemAsync(await GetWithTokenAsync("/dm-groups", forged), HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
        }

        await Rest.AssertStatusAsync(await GetWithTokenAsync("/dm-groups", genuine), HttpStatusCode.OK);
        Assert.Equal(5, validations[GatewayMetrics.TokenValidationValidated]);
        Assert.Equal(2, validations[GatewayMetrics.TokenValidationCached]);
    }

    [Fact]
    public async Task A_well_signed_token_with_an_invalid_sub_is_refused_every_time_even_from_the_cache()
    {
        var token = TestTokens.Mint("not a valid id!");
        using var validations = Validations();

        for (var i = 0; i < 3; i++)
        {
            await Rest.AssertProblemAsync(await GetWithTokenAsync("/dm-groups", token), HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
        }

        // Its signature is good, so the handler's answer is remembered; the gateway's own check of 'sub' still runs each time.
        Assert.Equal(1, validations[GatewayMetrics.TokenValidationValidated]);
        Assert.Equal(2, validations[GatewayMetrics.TokenValidationCached]);
    }

    [Fact]
    public async Task A_hub_connection_authenticates_with_a_token_answered_from_the_cache()
    {
        await using var user = fixture.NewUser("hubcached");
        using var validations = Validations();
        await Rest.AssertStatusAsync(await user.Http.GetAsync("/me/voice"), HttpStatusCode.OK);

        var device = await user.ConnectAsync();

        Assert.NotNull(device.Synced);
        Assert.Equal(1, validations[GatewayMetrics.TokenValidationValidated]);
        Assert.True(validations[GatewayMetrics.TokenValidationCached] >= 1);
        await Rest.AssertStatusAsync(await user.Http.GetAsync("/dm-groups"), HttpStatusCode.OK);
        Assert.Equal(1, validations[GatewayMetrics.TokenValidationValidated]);
    }
}
