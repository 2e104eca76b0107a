export { PriceTable, priceFileSchema, roundUsd } from './price-table';
export type { ModelPrice, PriceFile, PricedUsage, TokenUsage } from './price-table';
