using System.Security.Cryptography;
using System.Text;
using Patron.Security;
using Patron.Webhooks;
using Shouldly;

namespace Patron.Tests.Hardening;

/// <summary>The encryption of stored idempotent answers (docs/SECURITY.md): bound to its row, readable only with its key.</summary>
public sealed class StoredAnswersTests
{
    private static readonly byte[] Answer = Encoding.UTF8.GetBytes(
        """{"id":"cus_01JZ8Q6N3T2VQ4M5W7X8Y9Z0AB","object":"customer","email":"ada@example.com","referred_by":"cus_01JZ8Q6N3T2VQ4M5W7X8Y9Z0CD","again":"cus_01JZ8Q6N3T2VQ4M5W7X8Y9Z0AB"}""");

    [Fact]
    public void An_answer_decrypts_only_on_the_row_it_was_stored_for()
    {
        var answers = new StoredAnswers(RandomNumberGenerator.GetBytes(32));
        var stored = answers.Protect("prog_1", "key-1", "hash-1", 201, Answer);

        Encoding.UTF8.GetString(stored).ShouldNotContain("ada@example.com");
        answers.Unprotect("prog_1", "key-1", "hash-1", 201, stored).ShouldBe(Answer);

        Should.Throw<CryptographicException>(() => answers.Unprotect("prog_2", "key-1", "hash-1", 201, stored));
        Should.Throw<CryptographicException>(() => answers.Unprotect("prog_1", "key-2", "hash-1", 201, stored));
        Should.Throw<CryptographicException>(() => answers.Unprotect("prog_1", "key-1", "hash-2", 201, stored));
        Should.Throw<CryptographicException>(() => answers.Unprotect("prog_1", "key-1", "hash-1", 200, stored));
        var flipped = (byte[])stored.Clone();
        flipped[^1] ^= 1;
        Should.Throw<CryptographicException>(() => answers.Unprotect("prog_1", "key-1", "hash-1", 201, flipped));
    }

    [Fact]
    public void Another_key_is_named_in_the_error_and_an_answer_stored_in_clear_before_is_returned_as_it_is()
    {
        var stored = new StoredAnswers(RandomNumberGenerator.GetBytes(32)).Protect("prog_1", "k", "h", 201, Answer);
        var other = new StoredAnswers(RandomNumberGenerator.GetBytes(32));

        Should.Throw<CryptographicException>(() => other.Unprotect("prog_1", "k", "h", 201, stored))
            .Message.ShouldContain("Patron:Webhooks:EncryptionKey");
        other.Unprotect("prog_1", "k", "h", 201, Answer).ShouldBe(Answer);
    }

    [Fact]
    public void The_readable_header_names_the_customers_of_the_answer_and_nothing_else()
    {
        var stored = new StoredAnswers(RandomNumberGenerator.GetBytes(32)).Protect("prog_1", "k", "h", 201, Answer);

        var header = Encoding.ASCII.GetString(stored, 0, Array.IndexOf(stored, (byte)'\n'));
        header.ShouldEndWith(":cus_01JZ8Q6N3T2VQ4M5W7X8Y9Z0AB,cus_01JZ8Q6N3T2VQ4M5W7X8Y9Z0CD");
        header.ShouldStartWith("pa1:");
        StoredAnswers.CustomerIds("""{"customer_id":"cus_short","note":"cus_01JZ8Q6N3T2VQ4M5W7X8Y9Z0E"}"""u8).ShouldBeEmpty();
    }

    [Fact]
    public void The_key_is_derived_from_the_webhook_key_and_differs_from_it()
    {
        var webhookKey = RandomNumberGenerator.GetBytes(32);
        var secrets = new WebhookSecrets(webhookKey);

        var derived = secrets.DeriveKey(StoredAnswers.Purpose);
        derived.Length.ShouldBe(32);
        derived.ShouldNotBe(webhookKey);
        secrets.DeriveKey(StoredAnswers.Purpose).ShouldBe(derived);
        secrets.DeriveKey("another purpose").ShouldNotBe(derived);

        // Two processes with the same configured key read each other's stored answers.
        var stored = new StoredAnswers(secrets).Protect("prog_1", "k", "h", 201, Answer);
        new StoredAnswers(new WebhookSecrets(webhookKey)).Unprotect("prog_1", "k", "h", 201, stored).ShouldBe(Answer);
    }
}
