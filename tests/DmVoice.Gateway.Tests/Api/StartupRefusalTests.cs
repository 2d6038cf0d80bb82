using System.Net;

namespace DmVoice.Gateway.Tests.Api;

/// <summary>Configurations that would be unsafe refuse to start, with a message naming the setting.</summary>
public sealed class StartupRefusalTests
{
    private static string[] Args(string environment, params string[] settings) =>
        ["--urls", "http://127.0.0.1:0", "--environment", environment, .. settings];

    private static InvalidOperationException Refused(string[] args) =>
        Assert.Throws<InvalidOperationException>(() => GatewayApp.Build(args));

    [Fact]
    public void Dev_tokens_in_Production_are_refused_naming_the_setting()
    {
        var error = Refused(Args("Production", $"--Auth:SigningKey={GatewayServer.SigningKey}", "--Auth:EnableDevTokens=true"));
        Assert.Contains("Auth:EnableDevTokens", error.Message, StringComparison.Ordinal);
        Assert.Contains("Production", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Staging")]
    [InlineData("production")]
    [InlineData("Test")]
    [InlineData("Dev")]
    public void Dev_tokens_in_any_environment_but_Development_are_refused_naming_the_setting_and_the_environment(string environment)
    {
        var error = Refused(Args(environment, $"--Auth:SigningKey={GatewayServer.SigningKey}", "--Auth:EnableDevTokens=true"));
        Assert.Contains("Auth:EnableDevTokens", error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{environment}'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Production", "dmvoice-development-signing-key-not-for-production-use")]
    [InlineData("Staging", "dmvoice-compose-signing-key-change-me-0123456789")]
    [InlineData("Production", "example-only-replace-with-openssl-rand-base64-48")]
    [InlineData("Production", "  DMVOICE-COMPOSE-SIGNING-KEY-CHANGE-ME-0123456789 ")]
    public void A_signing_key_published_as_an_example_is_refused_outside_Development(string environment, string key)
    {
        var error = Refused(Args(environment, "--Auth:SigningKey=" + key));
        Assert.Contains("Auth:SigningKey", error.Message, StringComparison.Ordinal);
        Assert.Contains("example", error.Message, StringComparison.Ordinal);

        // Development keeps working with the key its own settings file brings.
        using var app = GatewayApp.Build(Args("Development", "--Auth:SigningKey=" + key));
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Development")]
    [InlineData("Staging")]
    public void A_signing_key_shorter_than_32_bytes_is_refused(string environment)
    {
        var error = Refused(Args(environment, "--Auth:SigningKey=" + new string('k', 31)));
        Assert.Contains("Auth:SigningKey", error.Message, StringComparison.Ordinal);
        Assert.Contains("32", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_key_length_is_counted_in_utf8_bytes()
    {
        // 16 characters of two bytes each: 32 bytes, accepted; 15 of them (30 bytes) are not.
        var error = Refused(Args("Production", "--Auth:SigningKey=" + new string('\u00e9', 15)));
        Assert.Contains("Auth:SigningKey", error.Message, StringComparison.Ordinal);
        using var app = GatewayApp.Build(Args("Production", "--Auth:SigningKey=" + new string('\u00e9', 16)));
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Development")]
    public void Neither_an_authority_nor_a_signing_key_is_refused(string environment)
    {
        // Development's appsettings file brings a key; clearing it leaves none.
        var error = Refused(Args(environment, "--Auth:SigningKey=", "--Auth:EnableDevTokens=false"));
        Assert.Contains("Auth:Authority", error.Message, StringComparison.Ordinal);
        Assert.Contains("Auth:SigningKey", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dev_tokens_with_an_authority_but_no_key_are_refused()
    {
        var error = Refused(Args("Development", "--Auth:SigningKey=", "--Auth:Authority=https://login.example.invalid", "--Auth:EnableDevTokens=true"));
        Assert.Contains("Auth:EnableDevTokens", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Auth:ValidatedTokenCacheDuration", "-00:00:01")]
    [InlineData("Auth:ValidatedTokenCacheDuration", "00:10:00.001")]
    [InlineData("Auth:ValidatedTokenCacheSize", "0")]
    [InlineData("Auth:ValidatedTokenCacheSize", "1000001")]
    public void Validated_token_cache_settings_out_of_range_are_refused_naming_the_setting(string key, string value)
    {
        var error = Refused(Args("Production", $"--Auth:SigningKey={GatewayServer.SigningKey}", $"--{key}={value}"));
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validated_token_cache_settings_at_their_bounds_are_accepted()
    {
        // A duration of 0 turns the cache off.
        using var shortest = GatewayApp.Build(Args("Production", $"--Auth:SigningKey={GatewayServer.SigningKey}", "--Auth:ValidatedTokenCacheDuration=00:00:00", "--Auth:ValidatedTokenCacheSize=1"));
        using var longest = GatewayApp.Build(Args("Production", $"--Auth:SigningKey={GatewayServer.SigningKey}", "--Auth:ValidatedTokenCacheDuration=00:10:00", "--Auth:ValidatedTokenCacheSize=1000000"));
    }

    [Theory]
    [InlineData("Gateway:ReadRetryBudget", "00:00:10.001")]
    [InlineData("Gateway:ReadRetryBudget", "-00:00:01")]
    [InlineData("Gateway:UnavailableRetryAfter", "00:00:00.500")]
    [InlineData("Gateway:UnavailableRetryAfter", "00:01:01")]
    public async Task Fault_settings_out_of_range_stop_the_gateway_from_starting_naming_the_setting(string key, string value)
    {
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => GatewayServer.StartAsync(s => s[key] = value));
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:9/push", "too-short-a-secret", "Push:Secret")]
    [InlineData("not a url", "push-secret-of-at-least-32-bytes-0123456789", "Push:Url")]
    [InlineData("ftp://127.0.0.1/push", "push-secret-of-at-least-32-bytes-0123456789", "Push:Url")]
    [InlineData("http://127.0.0.1:9/push", null, "Push:Secret")]
    public async Task Push_settings_that_cannot_work_stop_the_start_naming_the_setting(string url, string? secret, string named)
    {
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => GatewayServer.StartAsync(s =>
        {
            s["Push:Url"] = url;
            s["Push:Secret"] = secret;
        }));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_connection_cap_outside_1_to_1000_stops_the_start()
    {
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            GatewayServer.StartAsync(s => s["Gateway:MaxConnectionsPerUser"] = "0"));
        Assert.Contains("Gateway:MaxConnectionsPerUser", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task In_Production_without_dev_tokens_the_gateway_serves_tokens_it_did_not_mint_and_dev_token_is_404()
    {
        await using var server = await GatewayServer.StartAsync(s => s["Auth:EnableDevTokens"] = "false", environment: "Production");
        using var anonymous = new HttpClient { BaseAddress = server.BaseAddress };

        var devToken = await anonymous.SendAsync(Rest.Request("POST", "/dev/token", """{"userId":"mallory"}"""));
        await Rest.AssertProblemAsync(devToken, HttpStatusCode.NotFound, ErrorCodes.NotFound);

        await using var user = Rest.NewUser(server.BaseAddress, "prod");
        await Rest.AssertStatusAsync(await user.Http.GetAsync("/dm-groups"), HttpStatusCode.OK);
        await Rest.AssertProblemAsync(await anonymous.GetAsync("/dm-groups"), HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
    }
}
