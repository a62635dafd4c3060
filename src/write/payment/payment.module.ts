import { Module } from '@nestjs/common';
import { PaymentOutcomeConsumer } from './payment-outcome.consumer.js';
import { PaymentController } from './payment.controller.js';
import { RecordPaymentOutcomeHandler, RefundPaymentHandler, RequestPaymentHandler } from './payment.handler.js';
import { PAYMENT_PROVIDER, TestPaymentProvider } from './payment-provider.js';
import { RefundWorker } from './refund.worker.js';

@Module({
  controllers: [PaymentController],
  providers: [
    TestPaymentProvider,
    // PAYMENT_PROVIDER=test is the only provider built in; config.ts refuses it in production.
    { provide: PAYMENT_PROVIDER, useExisting: TestPaymentProvider },
    RequestPaymentHandler,
    RecordPaymentOutcomeHandler,
    RefundPaymentHandler,
    PaymentOutcomeConsumer,
    RefundWorker,
  ],
})
export class PaymentModule {}
