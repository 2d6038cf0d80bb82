using System.Security.Claims;
using System.Text;
using DmVoice.Gateway.Auth;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DmVoice.Gateway.Tests.Auth;

/// <summary>
/// The validated-token cache on its own, on a fake clock: a valid token is validated once and then answered
/// from memory until the cache duration or the token's expiry, whichever comes first; nothing invalid is kept.
/// </summary>
public sealed class CachingTokenHandlerTests
{
    private static readonly TimeSpan Duration = TimeSpan.FromMinutes(1);

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly CountingHandler _inner;

    public CachingTokenHandlerTests() => _inner = new CountingHandler(_time);

    /// <summary>The gateway's HS256 checks, with the token's lifetime judged by <see cref="CountingHandler"/> on the fake clock.</summary>
    private static TokenValidationParameters Parameters() => new()
    {
        ValidIssuer = "dmvoice",
        ValidAudience = "dmvoice",
        IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(GatewayServer.SigningKey)),
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        ValidateLifetime = false,
        NameClaimType = "name",
    };

    private CachingTokenHandler Cache(TimeSpan? duration = null, int capacity = 100) => new(_inner, duration ?? Duration, capacity, _time);

    private string Token(string sub = "alice", TimeSpan? lifetime = null, string key = GatewayServer.SigningKey) =>
        TestTokens.Mint(sub, key: key, expires: (_time.GetUtcNow() + (lifetime ?? TimeSpan.FromHours(1))).UtcDateTime, name: sub + " A.");

    private static async Task<TokenValidationResult> AssertValidAsync(CachingTokenHandler cache, string token, string sub = "alice")
    {
        var result = await cache.ValidateTokenAsync(token, Parameters());
        Assert.True(result.IsValid, result.Exception?.Message);
        Assert.Equal(sub, result.ClaimsIdentity.FindFirst("sub")?.Value);
        Assert.Equal(sub + " A.", result.ClaimsIdentity.Name);
        Assert.NotNull(result.SecurityToken);
        return result;
    }

    [Fact]
    public async Task A_valid_token_validated_once_is_answered_from_the_cache_the_second_time()
    {
        var cache = Cache();
        var token = Token();

        var first = await AssertValidAsync(cache, token);
        var second = await AssertValidAsync(cache, token);

        Assert.Equal(1, _inner.Calls);
        Assert.Equal(first.SecurityToken.ValidTo, second.SecurityToken.ValidTo);
        Assert.Equal(first.ClaimsIdentity.AuthenticationType, second.ClaimsIdentity.AuthenticationType);
        Assert.Equal(first.ClaimsIdentity.Claims.Select(c => (c.Type, c.Value)), second.ClaimsIdentity.Claims.Select(c => (c.Type, c.Value)));
    }

    [Fact]
    public async Task After_the_cache_duration_the_token_is_validated_again()
    {
        var cache = Cache();
        var token = Token();
        await AssertValidAsync(cache, token);

        _time.Advance(Duration - TimeSpan.FromMilliseconds(1));
        await AssertValidAsync(cache, token);
        Assert.Equal(1, _inner.Calls);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        await AssertValidAsync(cache, token);
        Assert.Equal(2, _inner.Calls);

        // Remembered afresh from that validation on.
        await AssertValidAsync(cache, token);
        Assert.Equal(2, _inner.Calls);
    }

    [Fact]
    public async Task An_entry_never_outlives_the_token_s_expiry_which_the_handler_then_refuses()
    {
        var cache = Cache();
        var token = Token(lifetime: TimeSpan.FromSeconds(20));
        var validTo = new DateTimeOffset((await AssertValidAsync(cache, token)).SecurityToken.ValidTo, TimeSpan.Zero);

        _time.SetUtcNow(validTo - TimeSpan.FromMilliseconds(1));
        await AssertValidAsync(cache, token);
        Assert.Equal(1, _inner.Calls);

        // Well within the cache duration, but the token has expired: validated again, and refused.
        _time.SetUtcNow(validTo);
        var expired = await cache.ValidateTokenAsync(token, Parameters());
        Assert.False(expired.IsValid);
        Assert.IsType<SecurityTokenExpiredException>(expired.Exception);
        Assert.Equal(2, _inner.Calls);
        Assert.False((await cache.ValidateTokenAsync(token, Parameters())).IsValid);
        Assert.Equal(3, _inner.Calls);
    }

    [Fact]
    public async Task Invalid_tokens_are_validated_every_time_even_right_after_the_genuine_one()
    {
        var cache = Cache();
        var expires = (_time.GetUtcNow() + TimeSpan.FromHours(1)).UtcDateTime;
        var genuine = TestTokens.Mint("alice", expires: expires, name: "alice A.");
        var wrongKey = TestTokens.Mint("alice", key: TestTokens.WrongKey, expires: expires, name: "alice A.");
        var signature = genuine.LastIndexOf('.') + 10;
        var tampered = genuine[..signature] + (genuine[signature] == 'A' ? 'B' : 'A') + genuine[(signature + 1)..];
        Assert.Equal(genuine[..genuine.LastIndexOf('.')], wrongKey[..wrongKey.LastIndexOf('.')]);

        await AssertValidAsync(cache, genuine);
        foreach (var forged in new[] { wrongKey, tampered, wrongKey, tampered })
        {
            var result = await cache.ValidateTokenAsync(forged, Parameters());
            Assert.False(result.IsValid);
            Assert.IsAssignableFrom<SecurityTokenInvalidSignatureException>(result.Exception);
        }

        Assert.Equal(5, _inner.Calls);
        Assert.Equal(1, cache.Count);
        await AssertValidAsync(cache, genuine);
        Assert.Equal(5, _inner.Calls);
    }

    [Fact]
    public async Task Each_answer_has_an_identity_of_its_own()
    {
        var cache = Cache();
        var token = Token();
        var first = await AssertValidAsync(cache, token);
        first.ClaimsIdentity.AddClaim(new Claim("role", "admin"));

        var second = await AssertValidAsync(cache, token);
        second.ClaimsIdentity.AddClaim(new Claim("role", "owner"));
        var third = await AssertValidAsync(cache, token);

        Assert.Equal(1, _inner.Calls);
        Assert.NotSame(second.ClaimsIdentity, third.ClaimsIdentity);
        Assert.NotSame(second, third);
        Assert.Null(third.ClaimsIdentity.FindFirst("role"));
    }

    [Fact]
    public async Task The_cache_holds_no_more_tokens_than_its_size_and_drops_expired_ones()
    {
        const int capacity = 3;
        var cache = Cache(capacity: capacity);
        var tokens = Enumerable.Range(0, 10).Select(i => Token($"user{i}")).ToList();

        foreach (var (token, i) in tokens.Select((t, i) => (t, i)))
        {
            await AssertValidAsync(cache, token, $"user{i}");
            Assert.InRange(cache.Count, 1, capacity);
        }

        // The newest is still answered from memory.
        await AssertValidAsync(cache, tokens[^1], "user9");
        Assert.Equal(10, _inner.Calls);

        // Once their duration is over, entries go at the next validation rather than waiting for the cache to fill.
        _time.Advance(Duration);
        await AssertValidAsync(cache, Token("late"), "late");
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public async Task A_duration_of_zero_remembers_nothing()
    {
        var cache = Cache(duration: TimeSpan.Zero);
        var token = Token();

        await AssertValidAsync(cache, token);
        await AssertValidAsync(cache, token);

        Assert.Equal(2, _inner.Calls);
        Assert.Equal(0, cache.Count);
    }

    /// <summary>
    /// The JSON web token handler's checks (signature, issuer, audience), with the token's expiry judged on
    /// the test's clock, as the real handler does on the real one (without its clock skew); counts its calls.
    /// </summary>
    private sealed class CountingHandler(TimeProvider time) : TokenHandler
    {
        private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
        private int _calls;

        public int Calls => _calls;

        public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
        {
            Interlocked.Increment(ref _calls);
            var result = await _handler.ValidateTokenAsync(token, validationParameters);
            if (result.IsValid && time.GetUtcNow().UtcDateTime >= result.SecurityToken.ValidTo)
            {
                return new TokenValidationResult
                {
                    IsValid = false,
                    Exception = new SecurityTokenExpiredException("The token expired by the test's clock.") { Expires = result.SecurityToken.ValidTo },
                };
            }

            return result;
        }
    }
}
