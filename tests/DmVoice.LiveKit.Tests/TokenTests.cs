using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace DmVoice.LiveKit.Tests;

public sealed class TokenTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [Fact]
    public void ToJwt_uses_the_time_provider_and_livekit_claim_names()
    {
        var clock = new ManualTimeProvider(T0.AddMilliseconds(700));
        var jwt = new AccessToken(TestKeys.ApiKey, TestKeys.ApiSecret, clock)
            .WithIdentity("u1")
            .WithTtl(TimeSpan.FromMinutes(3))
            .WithGrants(new VideoGrants { RoomAdmin = true, Room = "dm_1" })
            .ToJwt();

        var parts = jwt.Split('.');
        using var header = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(parts[0]));
        using var payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(parts[1]));
        Assert.Equal("HS256", header.RootElement.GetProperty("alg").GetString());
        var p = payload.RootElement;
        Assert.Equal(T0.ToUnixTimeSeconds(), p.GetProperty("nbf").GetInt64());
        Assert.Equal(T0.AddMinutes(3).ToUnixTimeSeconds(), p.GetProperty("exp").GetInt64());
        Assert.Equal("{\"roomAdmin\":true,\"room\":\"dm_1\"}", p.GetProperty("video").GetRawText());
        Assert.False(p.TryGetProperty("iat", out _));
        Assert.False(p.TryGetProperty("jti", out _));
    }

    [Fact]
    public void AddGrant_merges_like_the_sdk()
    {
        var token = new AccessToken(TestKeys.ApiKey, TestKeys.ApiSecret)
            .AddGrant(new VideoGrants { RoomJoin = true, Room = "a", CanPublish = true })
            .AddGrant(new VideoGrants { Room = "b", CanSubscribe = false });

        Assert.Equal(new VideoGrants { RoomJoin = true, Room = "b", CanPublish = true, CanSubscribe = false }, token.VideoGrants);
    }

    [Fact]
    public void Join_token_without_identity_is_refused()
    {
        var token = new AccessToken(TestKeys.ApiKey, TestKeys.ApiSecret).AddGrant(new VideoGrants { RoomJoin = true, Room = "r" });
        Assert.Throws<InvalidOperationException>(() => token.ToJwt());
    }

    [Fact]
    public void Short_secret_is_rejected_up_front()
    {
        Assert.Throws<ArgumentException>(() => new AccessToken(TestKeys.ApiKey, "secret"));
        Assert.Throws<ArgumentException>(() => new TokenVerifier(TestKeys.ApiKey, "secret"));
    }

    [Fact]
    public void Verifier_round_trips_claims()
    {
        var jwt = new AccessToken(TestKeys.ApiKey, TestKeys.ApiSecret)
        {
            Identity = "u1",
            Name = "Ann",
            Metadata = "m",
            Sha256 = "abc=",
            VideoGrants = new VideoGrants { RoomJoin = true, Room = "dm_1", CanPublishSources = [TrackSource.Camera] },
        }.ToJwt();

        var claims = new TokenVerifier(TestKeys.ApiKey, TestKeys.ApiSecret).Verify(jwt);

        Assert.Equal("u1", claims.Identity);
        Assert.Equal("Ann", claims.Name);
        Assert.Equal("m", claims.Metadata);
        Assert.Equal("abc=", claims.Sha256);
        Assert.Equal("dm_1", claims.Video?.Room);
        Assert.Equal([TrackSource.Camera], claims.Video?.CanPublishSources);
    }

    [Fact]
    public void Verifier_enforces_lifetime_with_ten_seconds_tolerance()
    {
        var jwt = new AccessToken(TestKeys.ApiKey, TestKeys.ApiSecret, new ManualTimeProvider(T0)) { Identity = "u", Ttl = TimeSpan.FromMinutes(1) }.ToJwt();
        var clock = new ManualTimeProvider(T0);
        var verifier = new TokenVerifier(TestKeys.ApiKey, TestKeys.ApiSecret, clock);

        clock.Now = T0.AddMinutes(1).AddSeconds(9);
        Assert.Equal("u", verifier.Verify(jwt).Identity);

        clock.Now = T0.AddMinutes(1).AddSeconds(11);
        Assert.Throws<LiveKitAuthException>(() => verifier.Verify(jwt));

        clock.Now = T0.AddSeconds(-11);
        Assert.Throws<LiveKitAuthException>(() => verifier.Verify(jwt));
    }

    [Fact]
    public void Verifier_rejects_forgeries()
    {
        var verifier = new TokenVerifier(TestKeys.ApiKey, TestKeys.ApiSecret);
        var jwt = new AccessToken(TestKeys.ApiKey, TestKeys.ApiSecret) { Identity = "u" }.ToJwt();
        var parts = jwt.Split('.');

        // Payload swapped (identity changed) but signature kept.
        var forgedPayload = Base64UrlEncoder.Encode(Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1])).Replace("\"u\"", "\"admin\"", StringComparison.Ordinal));
        Assert.Throws<LiveKitAuthException>(() => verifier.Verify($"{parts[0]}.{forgedPayload}.{parts[2]}"));

        // alg=none.
        var none = Base64UrlEncoder.Encode("{\"alg\":\"none\",\"typ\":\"JWT\"}");
        Assert.Throws<LiveKitAuthException>(() => verifier.Verify($"{none}.{parts[1]}."));

        // No exp: the SDKs require it.
        var noExp = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(
            new SecurityTokenDescriptor
            {
                Issuer = TestKeys.ApiKey,
                Claims = new Dictionary<string, object> { ["sub"] = "u" },
                SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(TestKeys.ApiSecret)), SecurityAlgorithms.HmacSha256),
            });
        Assert.Throws<LiveKitAuthException>(() => verifier.Verify(noExp));

        Assert.Throws<LiveKitAuthException>(() => verifier.Verify("not-a-jwt"));
        Assert.Throws<LiveKitAuthException>(() => verifier.Verify(""));
    }
}
