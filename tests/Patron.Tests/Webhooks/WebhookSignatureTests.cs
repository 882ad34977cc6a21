using System.Text;
using Patron.Webhooks;
using Shouldly;

namespace Patron.Tests.Webhooks;

/// <summary>The public signing helper (docs/WEBHOOKS.md), checked against the Standard Webhooks reference vector.</summary>
public sealed class WebhookSignatureTests
{
    // The test vector published with the Standard Webhooks reference libraries: a signature they make.
    private const string VectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string VectorId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const long VectorTimestamp = 1614265330;
    private const string VectorBody = "{\"test\": 2432232314}";
    private const string VectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    private static readonly DateTimeOffset VectorTime = DateTimeOffset.FromUnixTimeSeconds(VectorTimestamp);
    private static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    private static Dictionary<string, string> VectorHeaders(string signature = VectorSignature) => new()
    {
        ["Webhook-Id"] = VectorId,
        ["Webhook-Timestamp"] = VectorTimestamp.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Webhook-Signature"] = signature,
    };

    [Fact]
    public void The_standard_signature_reproduces_the_Standard_Webhooks_test_vector()
    {
        WebhookSignature.StandardSignature(VectorSecret, VectorId, VectorTimestamp, Encoding.UTF8.GetBytes(VectorBody))
            .ShouldBe(VectorSignature);
        WebhookSignature.Verify(VectorSecret, VectorHeaders(), VectorBody, Tolerance, VectorTime).ShouldBeTrue();
    }

    [Fact]
    public void Verification_fails_for_a_changed_body_id_or_secret_and_outside_the_tolerance()
    {
        WebhookSignature.Verify(VectorSecret, VectorHeaders(), VectorBody + " ", Tolerance, VectorTime).ShouldBeFalse();
        var otherId = VectorHeaders();
        otherId["Webhook-Id"] = "msg_other";
        WebhookSignature.Verify(VectorSecret, otherId, VectorBody, Tolerance, VectorTime).ShouldBeFalse();
        WebhookSignature.Verify(WebhookSignature.NewSecret(), VectorHeaders(), VectorBody, Tolerance, VectorTime).ShouldBeFalse();
        WebhookSignature.Verify(VectorSecret, VectorHeaders(), VectorBody, Tolerance, VectorTime.AddMinutes(5)).ShouldBeTrue();
        WebhookSignature.Verify(VectorSecret, VectorHeaders(), VectorBody, Tolerance, VectorTime.AddMinutes(5).AddSeconds(1)).ShouldBeFalse();
        WebhookSignature.Verify(VectorSecret, VectorHeaders(), VectorBody, Tolerance, VectorTime.AddMinutes(-6)).ShouldBeFalse();
        WebhookSignature.Verify(VectorSecret, new Dictionary<string, string>(), VectorBody, Tolerance, VectorTime).ShouldBeFalse();
        WebhookSignature.Verify(VectorSecret, VectorHeaders("v1,not-base64!"), VectorBody, Tolerance, VectorTime).ShouldBeFalse();
        WebhookSignature.Verify(VectorSecret, VectorHeaders("v2," + VectorSignature[3..]), VectorBody, Tolerance, VectorTime).ShouldBeFalse();
        // Several signatures (a receiver rotating secrets): any one that matches is enough.
        WebhookSignature.Verify(VectorSecret, VectorHeaders("v1,bm9wZQ== " + VectorSignature), VectorBody, Tolerance, VectorTime).ShouldBeTrue();
    }

    [Fact]
    public void The_Patron_signature_is_the_hex_HMAC_of_timestamp_and_body_keyed_with_the_whole_secret()
    {
        var secret = WebhookSignature.NewSecret();
        var body = Encoding.UTF8.GetBytes("{\"id\":\"evt_1\"}");
        var header = WebhookSignature.PatronSignature(secret, VectorTimestamp, body);

        var expected = Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(
            Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{VectorTimestamp}.{{\"id\":\"evt_1\"}}")));
        header.ShouldBe($"t={VectorTimestamp},v1={expected}");
        WebhookSignature.VerifyPatron(secret, header, body, Tolerance, VectorTime).ShouldBeTrue();
        WebhookSignature.VerifyPatron(secret, header, body, Tolerance, VectorTime.AddHours(1)).ShouldBeFalse();
        WebhookSignature.VerifyPatron(secret, header.Replace("t=", "t=1", StringComparison.Ordinal), body, Tolerance, VectorTime).ShouldBeFalse();
        WebhookSignature.VerifyPatron(secret + "x", header, body, Tolerance, VectorTime).ShouldBeFalse();
        // Verify falls back to Patron-Signature when the Standard Webhooks headers are absent.
        WebhookSignature.Verify(secret, new Dictionary<string, string> { ["patron-signature"] = header }, body, Tolerance, VectorTime).ShouldBeTrue();
    }

    [Fact]
    public void Headers_carry_both_schemes_for_one_attempt()
    {
        var secret = WebhookSignature.NewSecret();
        var body = Encoding.UTF8.GetBytes("{}");
        var headers = WebhookSignature.Headers(secret, "evt_123", VectorTime, body);

        headers.Select(h => h.Key).ShouldBe(["webhook-id", "webhook-timestamp", "webhook-signature", "Patron-Signature"]);
        headers[0].Value.ShouldBe("evt_123");
        headers[1].Value.ShouldBe(VectorTimestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        WebhookSignature.Verify(secret, headers, body, Tolerance, VectorTime).ShouldBeTrue();
        WebhookSignature.VerifyPatron(secret, headers[3].Value, body, Tolerance, VectorTime).ShouldBeTrue();
    }

    [Fact]
    public void Secrets_are_whsec_and_base64_of_32_random_bytes()
    {
        var secrets = Enumerable.Range(0, 50).Select(_ => WebhookSignature.NewSecret()).ToList();
        secrets.Distinct().Count().ShouldBe(50);
        foreach (var secret in secrets)
        {
            secret.ShouldStartWith("whsec_");
            Convert.FromBase64String(secret[6..]).Length.ShouldBe(32);
            WebhookSignature.IsWellFormedSecret(secret).ShouldBeTrue();
        }
        WebhookSignature.IsWellFormedSecret("sk_nope").ShouldBeFalse();
        WebhookSignature.IsWellFormedSecret("whsec_").ShouldBeFalse();
    }

    [Fact]
    public void Subscriptions_match_exact_event_types_only()
    {
        var stored = WebhookEventTypes.Store(["points.created", "customer.created"]);
        WebhookEventTypes.Matches(stored, "points.created").ShouldBeTrue();
        WebhookEventTypes.Matches(stored, "customer.created").ShouldBeTrue();
        WebhookEventTypes.Matches(stored, "customer.updated").ShouldBeFalse();
        WebhookEventTypes.Matches(stored, "points").ShouldBeFalse();
        WebhookEventTypes.Matches(stored, "created").ShouldBeFalse();
        WebhookEventTypes.Matches(WebhookEventTypes.Store(["*"]), "gift_card.updated").ShouldBeTrue();
        WebhookEventTypes.Matches(WebhookEventTypes.Store(["*", "points.created"]), "voucher.used").ShouldBeTrue();
    }

    [Fact]
    public void The_retry_schedule_is_about_5s_5m_30m_2h_5h_10h_10h_then_none()
    {
        var at = DateTimeOffset.UnixEpoch.AddDays(1000);
        var expected = new[] { 5.0, 300, 1800, 7200, 18000, 36000, 36000 };
        for (var attempts = 1; attempts <= 7; attempts++)
        {
            for (var sample = 0; sample < 200; sample++)
            {
                var next = WebhookDeliveryPolicy.NextAttemptMs(at, attempts)!.Value;
                var seconds = (next - at.ToUnixTimeMilliseconds()) / 1000.0;
                seconds.ShouldBeInRange(expected[attempts - 1] * 0.8, expected[attempts - 1] * 1.2);
            }
        }
        WebhookDeliveryPolicy.NextAttemptMs(at, 8).ShouldBeNull();
        WebhookDeliveryPolicy.NextAttemptMs(at, 1, permanent: true).ShouldBeNull();
        // Jitter: not all the same.
        Enumerable.Range(0, 20).Select(_ => WebhookDeliveryPolicy.NextAttemptMs(at, 3)).Distinct().Count().ShouldBeGreaterThan(1);
    }
}
